"""``/api/v1/notices/``: a person's reminders and overdue notices; mark one read.

A user sees the notices addressed to them. Supervisors and administrators may
pass ``?recipient=<username>`` to see someone else's (a supervisor only about
projects in their scope). Filters: ``kind``, ``read``, ``resolved``.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from portfolio.api import schema
from portfolio.api.base import ListMixin, PortfolioViewSet, RetrieveMixin
from portfolio.api.export import Column
from portfolio.api.serializers import BlankAsNullMixin
from portfolio.filtersets import StrictBooleanFilter
from portfolio.selectors import is_administrator, is_supervisor, user_scope
from projects.alerts.choices import NoticeKind
from projects.alerts.delivery import notice_mark_read
from projects.alerts.models import Notice


class NoticeSerializer(BlankAsNullMixin, serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    read = serializers.BooleanField(read_only=True)
    resolved = serializers.SerializerMethodField()
    project = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text=_("项目编码；考核指标的通知为 null"),
    )
    year = serializers.SerializerMethodField()
    recipient = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "kind",
            "kind_display",
            "level",
            "project",
            "year",
            "period",
            "recipient",
            "created_at",
            "read",
            "read_at",
            "resolved",
            "resolved_at",
            "delivered_at",
        ]
        read_only_fields = fields

    def get_resolved(self, obj: Notice) -> bool:
        return obj.resolved_at is not None

    def get_year(self, obj: Notice) -> int | None:
        return obj.year_record.year if obj.year_record_id else None


class NoticeFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=NoticeKind.choices)
    read = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", exclude=True)
    resolved = StrictBooleanFilter(
        field_name="resolved_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Notice
        fields = ["kind", "read", "resolved"]


RECIPIENT = OpenApiParameter(
    "recipient",
    str,
    description=_("接收人用户名（仅督查员、管理员可查看他人的通知）"),
)


@extend_schema_view(
    list=extend_schema(
        tags=["notices"],
        summary=_("提醒与逾期通知列表"),
        description=_(
            "本人收到的通知；导出见 export.csv / export.xlsx。"
            "外部系统的令牌没有接收人，列表为空。"
        ),
        parameters=[RECIPIENT],
        responses={
            **schema.list_responses(NoticeSerializer),
            (403, "application/json"): schema.FORBIDDEN,
        },
    ),
    retrieve=extend_schema(
        tags=["notices"],
        summary=_("单条通知"),
        responses={200: NoticeSerializer, **schema.READ_ERRORS},
    ),
    **schema.export_schemas(
        tag="notices",
        name="notices",
        noun=_("通知"),
        parameters=(RECIPIENT,),
        errors={403: schema.FORBIDDEN},
    ),
)
class NoticeViewSet(ListMixin, RetrieveMixin, PortfolioViewSet):
    """提醒与逾期通知：本人收到的通知；督查员、管理员可按接收人筛选。"""

    serializer_class = NoticeSerializer
    filterset_class = NoticeFilter
    queryset = Notice.objects.none()  # for the schema; get_queryset scopes
    export_name = "notices"
    export_columns = [
        Column(_("编号"), "id", "number"),
        Column(_("类型"), "kind_display"),
        Column(_("项目"), "project"),
        Column(_("年度"), "year", "number"),
        Column(_("期次"), "period"),
        Column(_("接收人"), "recipient"),
        Column(_("创建时间"), "created_at"),
        Column(_("已读"), "read", "bool"),
        Column(_("已解除"), "resolved", "bool"),
    ]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notice.objects.none()
        user = self.request.user
        if self.access.client is not None:
            return Notice.objects.none()  # credentials of a system receive nothing
        queryset = Notice.objects.select_related(
            "project", "year_record", "recipient"
        ).order_by("-created_at", "-id")
        recipient = self.request.query_params.get("recipient")
        if not recipient or recipient == user.get_username():
            return queryset.filter(recipient=user)
        if not is_supervisor(user):
            raise PermissionDenied(_("只有督查员和管理员可以查看他人的通知。"))
        queryset = queryset.filter(recipient__username=recipient)
        if not is_administrator(user):
            queryset = queryset.filter(user_scope(user).project_q("project__"))
        return queryset

    @extend_schema(
        tags=["notices"],
        summary=_("标记为已读"),
        request=None,
        responses={
            200: NoticeSerializer,
            401: schema.UNAUTHENTICATED,
            403: schema.FORBIDDEN,
            404: schema.NOT_FOUND,
            429: schema.THROTTLED,
        },
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """将本人的一条通知标记为已读。"""
        try:
            notice = notice_mark_read(notice=self.get_object(), actor=request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(self.get_serializer(notice).data)
