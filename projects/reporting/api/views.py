"""``GET /api/v1/dashboard/``: the dashboard as JSON, within the caller's scope.

People signed in to the admin and external systems' tokens alike (the scope of
whoever calls: a token limited to some departments sees their projects only).
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.api import schema
from portfolio.api.access import access_of
from portfolio.models import Plan
from projects.reporting.dashboard import dashboard_build, dashboard_summary

from .serializers import DashboardSerializer
from .statistics import urlpatterns as statistics_urls

BAD_YEAR = schema.error(
    gettext_lazy("year 不是整数，或超出范围。"),
    OpenApiExample(
        gettext_lazy("年度有误"),
        value={
            "detail": gettext_lazy("请求数据有误：year：年度应为四位数字，如 2026。"),
            "code": "invalid",
            "errors": {"year": [gettext_lazy("年度应为四位数字，如 2026。")]},
        },
    ),
)


class DashboardView(APIView):
    """Projects by phase × sector and × district, the year's reports by state,
    overdue items (most urgent first), investment by sector and indicator targets,
    within the caller's scope."""

    @extend_schema(
        tags=["dashboard"],
        operation_id="dashboard_retrieve",
        summary=gettext_lazy("工作台汇总"),
        parameters=[
            OpenApiParameter(
                "year",
                OpenApiTypes.INT,
                description=gettext_lazy("年度（默认本年）"),
                required=False,
            ),
            OpenApiParameter(
                "plan",
                OpenApiTypes.STR,
                description=gettext_lazy("规划编码（默认当前规划）"),
                required=False,
            ),
        ],
        responses={
            200: DashboardSerializer,
            400: BAD_YEAR,
            401: schema.UNAUTHENTICATED,
            429: schema.THROTTLED,
        },
    )
    def get(self, request):
        today = timezone.localdate()
        raw = request.query_params.get("year")
        year = today.year
        if raw:
            try:
                year = int(raw)
            except ValueError as exc:
                raise ValidationError(
                    {"year": _("年度应为四位数字，如 2026。")}
                ) from exc
            if not 2000 <= year <= today.year + 1:
                raise ValidationError(
                    {"year": _("年度 %(year)s 超出范围。") % {"year": year}}
                )
        access = access_of(request)
        plan = None
        code = request.query_params.get("plan")
        if code:
            plan = Plan.objects.filter(code=code).first()
            if plan is None:
                raise ValidationError({"plan": _("没有这个规划。")})
        dashboard = dashboard_build(
            request.user, year=year, today=today, scope=access.scope, plan=plan
        )
        return Response(dashboard_summary(dashboard))


urlpatterns = [path("dashboard/", DashboardView.as_view(), name="api-dashboard")]

urlpatterns += statistics_urls
