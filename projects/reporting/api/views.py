"""``GET /api/v1/dashboard/``: the dashboard as JSON, for the signed-in user."""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.api import schema
from projects.reporting.dashboard import dashboard_build, dashboard_summary


class DashboardView(APIView):
    """Projects by phase × sector and × district, the year's reports by state,
    overdue items (most urgent first), investment by sector and indicator targets,
    within the user's scope."""

    # For people signed in to the admin; external systems read the lists instead.
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary=_("工作台汇总"),
        parameters=[
            OpenApiParameter(
                "year",
                OpenApiTypes.INT,
                description=_("年度（默认本年）"),
                required=False,
            )
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            400: schema.INVALID,
            403: schema.FORBIDDEN,
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
                    {"year": gettext("年度应为四位数字，如 2026。")}
                ) from exc
            if not 2000 <= year <= today.year + 1:
                raise ValidationError(
                    {"year": gettext("年度 %(year)s 超出范围。") % {"year": year}}
                )
        dashboard = dashboard_build(request.user, year=year, today=today)
        return Response(dashboard_summary(dashboard))


urlpatterns = [path("dashboard/", DashboardView.as_view(), name="api-dashboard")]
