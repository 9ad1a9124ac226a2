"""Projects and year records: reads scoped to the caller, writes through services.

Order of checks on a write: credentials (401/403), the object within the
caller's scope (404), the record's workflow state (409), the request body
(400), the ``If-Match`` version (412) — and then the service, in one
transaction, so that nothing is half-written.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    JSONField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import JSONObject
from django.http import Http404
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portfolio import review
from portfolio.api import schema
from portfolio.api.base import (
    ListMixin,
    PortfolioViewSet,
    RetrieveMixin,
    expected_version,
    with_etag,
)
from portfolio.api.export import Column
from portfolio.api.pagination import StandardPagination, SyncPagination
from portfolio.api.serializers import HistoryEntrySerializer
from portfolio.choices import ReviewAction, ReviewState
from portfolio.compiled import CompiledQuery, compiled_cache
from portfolio.models import AuditEntry
from portfolio.sync import modified_expression
from projects import services
from projects.filtersets import (
    ProjectFilterSet,
    YearRecordFilterSet,
    project_overdue_q,
)
from projects.models import Project, YearRecord

from .extensions import PROJECT_EMBEDS, YEAR_RECORD_EMBEDS
from .plans import ProjectWritesMixin
from .serializers import (
    ProjectPhaseSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    ReasonSerializer,
    YearRecordSerializer,
    YearRecordUpdateSerializer,
)

PROJECT_ORDER = ["plan_id", "table__number", "number"]
PROJECT_COLUMNS = [
    "id",
    "code",
    "number",
    "name",
    "period",
    "start_year",
    "end_year",
    "content",
    "phase",
    "status",
    "version",
    "updated_at",
]
RECORD_ORDER = [
    "project__plan_id",
    "project__table__number",
    "project__number",
    "year",
]


def _record_year(request) -> int:
    """The year whose record each project embeds: ``?year=`` or the current one."""
    value = request.query_params.get("year", "") if request is not None else ""
    if not value:
        return timezone.localdate().year
    # Four ASCII digits at most: "²".isdigit() is true and int("²") raises.
    if value.isascii() and value.isdigit() and len(value) <= 4:
        return int(value)
    raise ValidationError({"year": [_("年度应为整数，如 2026。")]})


def project_queryset(scope):
    """Projects in ``scope`` (model instances: what the writes start from)."""
    return Project.objects.filter(scope.project_q()).order_by(*PROJECT_ORDER)


def _cluster_list(inline: bool):
    """The project's clusters as a JSON list in the row itself (PostgreSQL).

    For one project: one statement for it and its clusters, one round trip to
    the database instead of two. Not for pages: PostgreSQL would aggregate
    them for every row skipped by ``OFFSET`` too; a page (and SQLite) gets its
    clusters in one more query (``attach_clusters``).
    """
    if not inline or connection.vendor != "postgresql":
        return {}
    from django.contrib.postgres.aggregates import JSONBAgg

    links = (
        Project.clusters.through.objects.filter(project_id=OuterRef("pk"))
        .order_by()
        .values("project_id")
        .annotate(
            items=JSONBAgg(
                JSONObject(code=F("cluster__code"), name=F("cluster__name")),
                order_by=F("cluster__number"),
            )
        )
        .values("items")
    )
    return {"cluster_list": Subquery(links, output_field=JSONField())}


def project_decorate(queryset, *, year: int, today, clusters_inline: bool = False):
    """The rows a reader sees, as plain values: the list's hot path.

    One query: district, sector and department joined, the year's record
    joined through a filtered relation, overdue computed in SQL, and what the
    registered embeds annotate (``extensions``); the clusters too when asked
    (``_cluster_list``).
    """
    return queryset.annotate(
        record=FilteredRelation("year_records", condition=Q(year_records__year=year))
    ).values(
        *PROJECT_COLUMNS,
        table_number=F("table__number"),
        plan_code=F("plan__code"),
        continues_code=F("continues__code"),
        continued_by_code=F("continued_by__code"),
        district_code=F("district__code"),
        district_name=F("district__name"),
        sector_code=F("sector__code"),
        sector_name=F("sector__name"),
        department_code=F("department__code"),
        department_name=F("department__name"),
        record_id=F("record__id"),
        record_year=F("record__year"),
        record_state=F("record__state"),
        record_phase=F("record__phase"),
        record_due_date=F("record__due_date"),
        **PROJECT_EMBEDS.annotations(),
        **_cluster_list(clusters_inline),
        is_overdue=ExpressionWrapper(
            project_overdue_q(today), output_field=BooleanField()
        ),
        modified_at=modified_expression(Project, PROJECT_EMBEDS.modified_paths()),
    )


# A value no project code can take: where the code goes in the compiled detail.
CODE_MARKER = "\x00project-code"
_detail_queries = compiled_cache()


def project_detail_row(scope, code: str, *, year: int, today) -> dict | None:
    """One project as ``project_decorate`` shows it, or None (not in ``scope``).

    The detail's hot path: the query is compiled once per scope, year and day
    (``portfolio.compiled``) and run with the code, in one round trip.
    """
    compiled = _detail_queries(
        (connection.vendor, scope, year, today, PROJECT_EMBEDS.version),
        lambda: CompiledQuery(
            project_decorate(
                project_queryset(scope).filter(code=CODE_MARKER).order_by(),
                year=year,
                today=today,
                clusters_inline=True,
            ),
            code=CODE_MARKER,
        ),
    )
    rows = compiled.rows(code=code)
    return rows[0] if rows else None


def year_record_queryset(scope):
    return (
        YearRecord.objects.filter(scope.project_q("project__"))
        .select_related("project", "project__district", "project__sector")
        .prefetch_related(*YEAR_RECORD_EMBEDS.prefetch())
        .defer("project__seed")
        .annotate(
            modified_at=modified_expression(
                YearRecord, YEAR_RECORD_EMBEDS.modified_paths()
            )
        )
        .order_by(*RECORD_ORDER)
    )


def _history(instance_filters: Q):
    return (
        AuditEntry.objects.filter(instance_filters)
        .select_related("content_type")
        .order_by("-created_at", "-id")
    )


class HistoryMixin:
    """``GET …/{key}/history/``: the object's change history, newest first."""

    def history_queryset(self, instance):
        raise NotImplementedError

    def _history_response(self, instance):
        queryset = self.history_queryset(instance)
        page = self.paginate_queryset(queryset)
        serializer = HistoryEntrySerializer(page, many=True)
        return self.get_paginated_response(serializer.data)


PROJECT_EXPORT = [
    Column(_("项目表"), "table_display"),
    Column(_("序号"), "number", "number"),
    Column(_("项目名称"), "name"),
    Column(_("县区"), "district_name"),
    Column(_("建设年限"), "period"),
    Column(_("建设规模及内容"), "content"),
    Column(_("产业"), "sector_name"),
    Column(_("责任单位"), "department_name"),
    Column(_("所属集聚区"), lambda row: [c["name"] for c in row["clusters"]], "list"),
    Column(_("当前阶段"), "phase_display"),
    Column(
        _("本年度审核状态"),
        lambda row: row["year_record"]["state_display"] if row["year_record"] else "",
    ),
    Column(
        _("本年度阶段"),
        lambda row: row["year_record"]["phase_display"] if row["year_record"] else "",
    ),
    Column(_("是否逾期"), "overdue", "bool"),
    Column(_("项目编码"), "code"),
]


@extend_schema_view(
    list=extend_schema(
        tags=["projects"],
        summary=_("重大项目列表"),
        description=_(
            "可按产业、县区、集聚区、阶段、年度、逾期等筛选；每页带 sync_token，"
            "用于增量同步（updated_since）。导出见 export.csv / export.xlsx。"
        ),
        responses=schema.list_responses(ProjectSerializer),
    ),
    retrieve=extend_schema(
        tags=["projects"],
        summary=_("单个项目"),
        description=_(
            "响应头 ETag（版本-内容摘要）：修改时放入 If-Match；"
            "再次读取时放入 If-None-Match，内容未变则返回 304。"
        ),
        parameters=[
            OpenApiParameter(
                "year",
                OpenApiTypes.INT,
                description=_("嵌入该年度的年度记录（默认本年）"),
            ),
            schema.IF_NONE_MATCH,
            schema.ETAG,
        ],
        responses={
            200: ProjectSerializer,
            304: schema.NOT_MODIFIED,
            400: schema.BAD_QUERY,
            **schema.READ_ERRORS,
        },
    ),
    partial_update=extend_schema(
        tags=["projects"],
        summary=_("修改项目信息"),
        description=_(
            "只修改请求中给出的字段；填报员（及填报员角色的凭据）"
            "只能修正本单位项目的名称、年限、内容等描述。"
            "改县区、产业或责任单位即移动项目：须督查员或管理员角色，"
            "须同时负责原处和新处，并填写 reason；"
            "项目未解除的通知随项目转给新的负责人。"
        ),
        parameters=[schema.IF_MATCH, schema.ETAG],
        request=ProjectUpdateSerializer,
        responses={200: ProjectSerializer, **schema.WRITE_ERRORS},
    ),
    **schema.export_schemas(tag="projects", name="projects", noun=_("重大项目")),
)
class ProjectViewSet(
    ProjectWritesMixin, ListMixin, RetrieveMixin, HistoryMixin, PortfolioViewSet
):
    """The plan's major projects (表1–表7) and those added since."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    plan_field = "plan"
    pagination_class = SyncPagination
    lookup_field = "code"
    lookup_value_regex = r"[-\w]+"
    http_method_names = ["get", "patch", "post", "delete", "head", "options"]
    export_name = "projects"
    export_columns = PROJECT_EXPORT

    def list_queryset(self):
        return project_queryset(self.access.scope)

    def decorate(self, queryset):
        return project_decorate(
            queryset, year=_record_year(self.request), today=timezone.localdate()
        )

    def get_queryset(self):
        return self.list_queryset()

    def _fresh(self, project: Project) -> dict:
        return self.decorate(self.list_queryset()).get(pk=project.pk)

    def retrieve(self, request, *args, **kwargs):
        project = project_detail_row(
            self.access.scope,
            kwargs["code"],
            year=_record_year(request),
            today=timezone.localdate(),
        )
        if project is None:
            raise Http404
        return with_etag(Response(self.get_serializer(project).data), project)

    def partial_update(self, request, *args, **kwargs):
        project = self.get_object()
        serializer = ProjectUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.project_update(
            project=project,
            actor=self.access.actor,
            data=serializer.service_data(),
            expected_version=expected_version(request, project.version),
            reason=serializer.validated_data.get("reason", ""),
        )
        fresh = self._fresh(project)
        return with_etag(Response(self.get_serializer(fresh).data), fresh)

    @extend_schema(
        tags=["projects"],
        summary=_("变更项目阶段"),
        description=_(
            "通过项目最新年度的记录变更阶段（该记录须为填报中或已退回）。"
            "阶段变更须符合阶段规则；停缓建、取消须填写原因。"
        ),
        parameters=[schema.IF_MATCH, schema.ETAG],
        request=ProjectPhaseSerializer,
        responses={200: ProjectSerializer, **schema.WRITE_ERRORS},
        examples=[
            OpenApiExample(
                _("开工"), value={"phase": "under_construction"}, request_only=True
            ),
            OpenApiExample(
                _("停缓建"),
                value={"phase": "suspended", "reason": _("资金未到位")},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def phase(self, request, *args, **kwargs):
        project = self.get_object()
        latest = project.year_records.order_by("-year").first()
        if latest is not None:
            review.check_editable(latest)
        serializer = ProjectPhaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected = expected_version(request, project.version)
        with transaction.atomic():
            # Same lock order as the services (record, then project).
            if latest is not None:
                YearRecord.objects.select_for_update().filter(pk=latest.pk).first()
            locked = Project.objects.select_for_update().get(pk=project.pk)
            if expected is not None and locked.version != expected:
                raise services.StaleWrite(current_version=locked.version)
            services.project_change_phase(
                project=locked,
                phase=serializer.validated_data["phase"],
                actor=self.access.actor,
                reason=serializer.validated_data["reason"],
            )
        fresh = self._fresh(project)
        return with_etag(Response(self.get_serializer(fresh).data), fresh)

    @extend_schema(
        tags=["projects"],
        summary=_("项目变更记录"),
        description=_("项目本身及其各年度记录的变更：谁、何时、改了什么、原因。"),
        responses={200: HistoryEntrySerializer(many=True), **schema.READ_ERRORS},
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        pagination_class=StandardPagination,
    )
    def history(self, request, *args, **kwargs):
        return self._history_response(self.get_object())

    def history_queryset(self, project):
        record_type = ContentType.objects.get_for_model(YearRecord)
        record_ids = [
            str(pk) for pk in project.year_records.values_list("pk", flat=True)
        ]
        return _history(
            Q(
                content_type=ContentType.objects.get_for_model(Project),
                object_id=str(project.pk),
            )
            | Q(content_type=record_type, object_id__in=record_ids)
        )


RECORD_EXPORT = [
    Column(_("项目编码"), "project"),
    Column(_("项目名称"), "project_name"),
    Column(_("县区"), "district_name"),
    Column(_("产业"), "sector_name"),
    Column(_("年度"), "year", "number"),
    Column(_("审核状态"), "state_display"),
    Column(_("年度阶段"), "phase_display"),
    Column(_("计划投资（万元）"), "planned_investment", "number"),
    Column(_("完成投资（万元）"), "actual_investment", "number"),
    Column(_("形象进度（%）"), "percent_complete", "number"),
    Column(_("进展情况"), "progress"),
    Column(_("存在问题"), "problems"),
    Column(_("下一步计划"), "next_steps"),
    Column(_("报送截止日"), "due_date"),
    Column(_("是否逾期"), "overdue", "bool"),
    Column(_("提交时间"), "submitted_at"),
    Column(_("审核时间"), "approved_at"),
    Column(_("退回原因"), "return_reason"),
]


def _action_schema(summary: str, description: str, *, reason: bool):
    return extend_schema(
        tags=["year-records"],
        summary=summary,
        description=format_lazy(
            "{}{}",
            description,
            _(" 状态不允许时返回 409（先于请求体检查），并列出允许的操作。"),
        ),
        parameters=[schema.IF_MATCH, schema.ETAG],
        request=ReasonSerializer if reason else None,
        responses={200: YearRecordSerializer, **schema.WRITE_ERRORS},
        examples=(
            [
                OpenApiExample(
                    _("原因"),
                    value={"reason": _("投资数据与台账不符")},
                    request_only=True,
                )
            ]
            if reason
            else []
        ),
    )


@extend_schema_view(
    list=extend_schema(
        tags=["year-records"],
        summary=_("年度记录列表"),
        description=_(
            "每个项目每年一条；每页带 sync_token，用于增量同步（updated_since）。"
            "导出见 export.csv / export.xlsx。"
        ),
        responses=schema.list_responses(YearRecordSerializer),
    ),
    retrieve=extend_schema(
        tags=["year-records"],
        summary=_("单条年度记录"),
        description=_(
            "响应头 ETag（版本-内容摘要）：修改或审核时放入 If-Match；"
            "再次读取时放入 If-None-Match，内容未变则返回 304。"
        ),
        parameters=[schema.IF_NONE_MATCH, schema.ETAG],
        responses={
            200: YearRecordSerializer,
            304: schema.NOT_MODIFIED,
            **schema.READ_ERRORS,
        },
    ),
    partial_update=extend_schema(
        tags=["year-records"],
        summary=_("填报年度数据"),
        description=_("只修改请求中给出的字段；记录须为填报中或已退回（否则 409）。"),
        parameters=[schema.IF_MATCH, schema.ETAG],
        request=YearRecordUpdateSerializer,
        responses={200: YearRecordSerializer, **schema.WRITE_ERRORS},
        examples=[
            OpenApiExample(
                _("填报"),
                value={
                    "phase": "under_construction",
                    "planned_investment": "5000.00",
                    "actual_investment": "3200.50",
                    "percent_complete": "60.00",
                    "progress": _("主体结构完工"),
                },
                request_only=True,
            )
        ],
    ),
    **schema.export_schemas(
        tag="year-records", name="year_records", noun=_("年度记录")
    ),
)
class YearRecordViewSet(ListMixin, RetrieveMixin, HistoryMixin, PortfolioViewSet):
    """Year records (年度记录) and their review workflow."""

    serializer_class = YearRecordSerializer
    filterset_class = YearRecordFilterSet
    plan_field = "project__plan"
    pagination_class = SyncPagination
    http_method_names = ["get", "patch", "post", "head", "options"]
    export_name = "year-records"
    export_columns = RECORD_EXPORT

    def get_queryset(self):
        return year_record_queryset(self.access.scope)

    def _respond(self, record: YearRecord):
        fresh = self.get_queryset().get(pk=record.pk)
        return with_etag(Response(self.get_serializer(fresh).data), fresh)

    def partial_update(self, request, *args, **kwargs):
        record = self.get_object()
        review.check_editable(record)
        serializer = YearRecordUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, reason = serializer.service_data()
        services.year_record_update(
            record=record,
            actor=self.access.actor,
            data=data,
            reason=reason,
            expected_version=expected_version(request, record.version),
        )
        return self._respond(record)

    def _review(self, request, review_action: ReviewAction, service, *, reason: bool):
        record = self.get_object()
        # The state first: a refused action is 409 whatever the body says.
        review.check_review(
            review_action, ReviewState(record.state), kind=review.review_kind(record)
        )
        kwargs = {}
        if reason:
            serializer = ReasonSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            kwargs["reason"] = serializer.validated_data["reason"]
        service(
            record=record,
            actor=self.access.actor,
            expected_version=expected_version(request, record.version),
            **kwargs,
        )
        return self._respond(record)

    @_action_schema(
        _("提交"), _("填报员提交本年度报告（填报中或已退回 → 已提交）。"), reason=False
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        return self._review(
            request, ReviewAction.SUBMIT, services.year_record_submit, reason=False
        )

    @_action_schema(
        _("审核通过"), _("督查员审核通过（已提交 → 已审核）。"), reason=False
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        return self._review(
            request, ReviewAction.APPROVE, services.year_record_approve, reason=False
        )

    @_action_schema(
        _("退回"), _("督查员退回并说明原因（已提交 → 已退回）。"), reason=True
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, *args, **kwargs):
        return self._review(
            request, ReviewAction.RETURN, services.year_record_return, reason=True
        )

    @_action_schema(
        _("重新打开"),
        _("督查员重新打开已审核的记录以便更正（已审核 → 填报中）。"),
        reason=True,
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, *args, **kwargs):
        return self._review(
            request, ReviewAction.REOPEN, services.year_record_reopen, reason=True
        )

    @extend_schema(
        tags=["year-records"],
        summary=_("年度记录变更记录"),
        responses={200: HistoryEntrySerializer(many=True), **schema.READ_ERRORS},
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        pagination_class=StandardPagination,
    )
    def history(self, request, *args, **kwargs):
        return self._history_response(self.get_object())

    def history_queryset(self, record):
        return _history(
            Q(
                content_type=ContentType.objects.get_for_model(YearRecord),
                object_id=str(record.pk),
            )
        )
