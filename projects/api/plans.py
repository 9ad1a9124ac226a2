"""Plans with their tables, adjustments (项目调整), and the direct project writes.

``/api/v1/plans/``: read-only, each plan with its tables. ``/api/v1/adjustments/``:
a clerk proposes (POST), then ``submit``; a supervisor ``approve``s or
``return``s, as for year records. ``ProjectWritesMixin`` gives the project
resource ``POST`` (administrators and allowed tokens) and ``DELETE``
(administrators; a tombstone in ``/deletions/``).
"""

from __future__ import annotations

import django_filters as filters
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from portfolio.api import schema
from portfolio.api.base import ListMixin, PortfolioViewSet, RetrieveMixin
from portfolio.api.base import expected_version as version_of
from portfolio.api.export import Column
from portfolio.api.pagination import SyncPagination
from portfolio.api.serializers import CodeRelatedField
from portfolio.choices import ReviewState
from portfolio.filtersets import ChoicesFilter, IsoDateTimeFilter, plan_filter
from portfolio.models import Plan
from portfolio.selectors import plan_current
from projects import adjustments as adjust
from projects import services
from projects.choices import AdjustmentKind
from projects.models import Adjustment, PlanTable, Project

from .serializers import ProjectSerializer, ReasonSerializer


class PlanTableSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text=_("表号"))
    title = serializers.CharField(help_text=_("表名"))
    sector = serializers.CharField(source="sector.code", help_text=_("产业编码"))


class PlanSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    issuer = serializers.CharField()
    issued_on = serializers.DateField()
    start_year = serializers.IntegerField()
    end_year = serializers.IntegerField()
    is_current = serializers.SerializerMethodField()
    tables = PlanTableSerializer(many=True)

    def get_is_current(self, plan) -> bool:
        current = self.context.get("current_plan_id")
        return plan.pk == current


PLAN_EXPORT = [
    Column(_("编码"), "code"),
    Column(_("规划名称"), "name"),
    Column(_("起始年"), "start_year", "number"),
    Column(_("结束年"), "end_year", "number"),
    Column(_("当前规划"), "is_current", "bool"),
]


@extend_schema_view(
    list=extend_schema(
        tags=["plans"],
        summary=_("规划列表（含项目表）"),
        responses=schema.list_responses(PlanSerializer),
    ),
    retrieve=extend_schema(
        tags=["plans"],
        summary=_("单个规划"),
        responses={200: PlanSerializer, **schema.READ_ERRORS},
    ),
    **schema.export_schemas(tag="plans", name="plans", noun=_("规划")),
)
class PlanViewSet(ListMixin, RetrieveMixin, PortfolioViewSet):
    """The plans (the 14th, the next…), each with its tables."""

    serializer_class = PlanSerializer
    export_name = "plans"
    export_columns = PLAN_EXPORT
    lookup_field = "code"
    lookup_value_regex = r"[-\w]+"
    filterset_class = None

    def get_queryset(self):
        tables = PlanTable.objects.select_related("sector").order_by("number")
        return Plan.objects.prefetch_related(
            Prefetch("tables", queryset=tables)
        ).order_by("start_year")

    def list_queryset(self):
        return self.get_queryset()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        current = plan_current()
        context["current_plan_id"] = current.pk if current else None
        return context


# --- Adjustments -------------------------------------------------------------------


class AdjustmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    plan = serializers.CharField(source="plan.code", read_only=True)
    kind = serializers.ChoiceField(choices=AdjustmentKind.choices, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    project = serializers.CharField(
        source="project.code", allow_null=True, read_only=True, default=None
    )
    table = serializers.IntegerField(
        source="table.number", allow_null=True, read_only=True, default=None
    )
    result = serializers.CharField(
        source="result.code", allow_null=True, read_only=True, default=None
    )
    state = serializers.ChoiceField(choices=ReviewState.choices, read_only=True)
    reason = serializers.CharField(read_only=True)
    document_ref = serializers.CharField(read_only=True)
    payload = serializers.JSONField(read_only=True)
    return_reason = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class AdjustmentProposeSerializer(serializers.Serializer):
    plan = CodeRelatedField(
        slug_field="code", queryset=Plan.objects.all(), required=False
    )
    kind = serializers.ChoiceField(choices=AdjustmentKind.choices)
    project = CodeRelatedField(
        slug_field="code", queryset=Project.objects.all(), required=False
    )
    table = serializers.IntegerField(required=False, help_text=_("目标项目表的表号"))
    reason = serializers.CharField(help_text=_("调整理由"))
    document_ref = serializers.CharField(
        required=False, allow_blank=True, help_text=_("文号")
    )
    payload = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=5000),
        required=False,
        help_text=_(
            "增补/替换：新项目的 name、district、sector、period、content；"
            "变更：name、content、period 中要改的字段"
        ),
    )


class AdjustmentFilterSet(filters.FilterSet):
    plan = plan_filter()
    kind = ChoicesFilter(choices=AdjustmentKind.choices, label=_("调整类型"))
    state = ChoicesFilter(choices=ReviewState.choices, label=_("审核状态"))
    updated_since = IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("此时间以来有变化")
    )

    class Meta:
        model = Adjustment
        fields = []


def _table_of(plan: Plan, number: int | None) -> PlanTable | None:
    if number is None:
        return None
    table = PlanTable.objects.filter(plan=plan, number=number).first()
    if table is None:
        raise serializers.ValidationError(
            {"table": [gettext("该规划没有表%(number)s。") % {"number": number}]}
        )
    return table


ADJUSTMENT_EXPORT = [
    Column(_("编号"), "id", "number"),
    Column(_("规划"), "plan"),
    Column(_("调整类型"), "kind_display"),
    Column(_("项目编码"), "project"),
    Column(_("审核状态"), "state"),
    Column(_("调整理由"), "reason"),
    Column(_("文号"), "document_ref"),
]


@extend_schema_view(
    list=extend_schema(
        tags=["adjustments"],
        summary=_("项目调整列表"),
        responses=schema.list_responses(AdjustmentSerializer),
    ),
    retrieve=extend_schema(
        tags=["adjustments"],
        summary=_("单个项目调整"),
        responses={200: AdjustmentSerializer, **schema.READ_ERRORS},
    ),
    **schema.export_schemas(tag="adjustments", name="adjustments", noun=_("项目调整")),
    create=extend_schema(
        tags=["adjustments"],
        summary=_("提出项目调整"),
        request=AdjustmentProposeSerializer,
        responses={201: AdjustmentSerializer, **schema.WRITE_ERRORS},
    ),
)
class AdjustmentViewSet(ListMixin, RetrieveMixin, PortfolioViewSet):
    """Adjustments of a plan's list, through the review of reports."""

    serializer_class = AdjustmentSerializer
    export_name = "adjustments"
    export_columns = ADJUSTMENT_EXPORT
    filterset_class = AdjustmentFilterSet
    pagination_class = SyncPagination
    plan_field = "plan"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        scope = self.access.scope
        queryset = Adjustment.objects.select_related(
            "plan", "project", "table", "result", "department"
        )
        if not scope.everything:
            queryset = queryset.filter(
                Q(project__in=Project.objects.filter(scope.project_q()))
                | Q(department_id__in=scope.department_ids)
            )
        return queryset.order_by("-id")

    def list_queryset(self):
        return self.get_queryset()

    def create(self, request, *args, **kwargs):
        serializer = AdjustmentProposeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        project = data.get("project")
        plan = data.get("plan") or (project.plan if project else plan_current())
        adjustment = adjust.adjustment_propose(
            plan=plan,
            kind=AdjustmentKind(data["kind"]),
            actor=self.access.actor,
            reason=data["reason"],
            document_ref=data.get("document_ref", ""),
            project=project,
            table=_table_of(plan, data.get("table")),
            payload=data.get("payload") or {},
        )
        return Response(
            AdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED
        )

    def _act(self, request, service, *, reason: bool):
        adjustment = self.get_object()
        kwargs = {}
        if reason:
            body = ReasonSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            kwargs["reason"] = body.validated_data["reason"]
        service(
            adjustment=adjustment,
            actor=self.access.actor,
            expected_version=version_of(request, adjustment.version),
            **kwargs,
        )
        fresh = self.get_queryset().get(pk=adjustment.pk)
        return Response(AdjustmentSerializer(fresh).data)

    @extend_schema(
        tags=["adjustments"],
        summary=_("提交"),
        request=None,
        responses={200: AdjustmentSerializer, **schema.WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        return self._act(request, adjust.adjustment_submit, reason=False)

    @extend_schema(
        tags=["adjustments"],
        summary=_("审核通过并执行"),
        request=None,
        responses={200: AdjustmentSerializer, **schema.WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        return self._act(request, adjust.adjustment_approve, reason=False)

    @extend_schema(
        tags=["adjustments"],
        summary=_("退回"),
        request=ReasonSerializer,
        responses={200: AdjustmentSerializer, **schema.WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, *args, **kwargs):
        return self._act(request, adjust.adjustment_return, reason=True)


# --- Direct project writes ------------------------------------------------------------


class ProjectCreateSerializer(serializers.Serializer):
    plan = CodeRelatedField(
        slug_field="code", queryset=Plan.objects.all(), required=False
    )
    table = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("表号；不填则进入储备库")
    )
    number = serializers.IntegerField(required=False, min_value=1)
    name = serializers.CharField()
    district = serializers.CharField()
    sector = serializers.CharField()
    department = serializers.CharField(required=False)
    period = serializers.CharField()
    content = serializers.CharField()
    reason = serializers.CharField(required=False, allow_blank=True)


class ProjectWritesMixin:
    """``POST`` and ``DELETE`` on the project resource."""

    @extend_schema(
        tags=["projects"],
        summary=_("直接新建项目（管理员及经授权的凭据）"),
        request=ProjectCreateSerializer,
        responses={201: ProjectSerializer, **schema.WRITE_ERRORS},
    )
    def create(self, request, *args, **kwargs):
        serializer = ProjectCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        plan = data.pop("plan", None) or plan_current()
        table = _table_of(plan, data.pop("table", None))
        project = adjust.project_create(
            plan=plan,
            table=table,
            data=data,
            actor=self.access.actor,
            reason=data.pop("reason", ""),
        )
        fresh = self._fresh(project)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["projects"],
        summary=_("删除项目（仅管理员；写入 /deletions/）"),
        responses={204: None, **schema.WRITE_ERRORS},
        parameters=[],
    )
    def destroy(self, request, *args, **kwargs):
        project = get_object_or_404(
            Project.objects.filter(self.access.scope.project_q()),
            code=kwargs["code"],
        )
        services.project_delete(
            project=project,
            actor=self.access.actor,
            reason=request.query_params.get("reason", ""),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
