"""``GET /api/v1/statistics/``: dispatch statistics and the ranking of a plan for
a period; ``GET /api/v1/statistics/items/``: the projects behind one figure."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.api import schema
from portfolio.api.pagination import StandardPagination

from ..evaluation import evaluation_summary
from ..periods import period_parse
from ..ranking import ranking_build
from ..scope import plan_find
from ..statistics import statistics_build
from ..summary import items_of, statistics_summary
from .statistics_serializers import (
    EvaluationSerializer,
    StatisticsItemsPageSerializer,
    StatisticsSerializer,
)

PLAN = OpenApiParameter(
    "plan", OpenApiTypes.STR, description=gettext_lazy("规划编码（默认当前规划）")
)
PERIOD = OpenApiParameter(
    "period",
    OpenApiTypes.STR,
    description=gettext_lazy(
        "统计期：2026-11（月）、2026-Q4（季）或 2026（年）；默认上月"
    ),
)
TODAY = OpenApiParameter(
    "today",
    OpenApiTypes.DATE,
    description=gettext_lazy("统计截至日（默认今天），链接中保留以便复核"),
)
BAD = schema.error(gettext_lazy("规划、统计期、单位或指标有误。"))


def _arguments(request):
    params = request.query_params
    plan = plan_find(params.get("plan"))
    if plan is None:
        raise ValidationError(
            {
                "plan": _("没有编码为“%(code)s”的规划。")
                % {"code": params.get("plan", "")}
            }
        )
    today = timezone.localdate()
    if params.get("today"):
        try:
            today = dt.date.fromisoformat(params["today"])
        except ValueError as exc:
            raise ValidationError({"today": _("日期格式应为 YYYY-MM-DD。")}) from exc
    try:
        period = period_parse(params.get("period"), today=today)
    except DjangoValidationError as exc:
        raise ValidationError({"period": exc.messages}) from exc
    return plan, period, today


class StatisticsView(APIView):
    """开工率, 投资完成率 against 序时进度, 竣工率, 按时报送率 and the problems,
    for the plan and by district, department, table and cluster, with the two
    leagues of the ranking; each count links to the projects behind it."""

    @extend_schema(
        tags=["statistics"],
        operation_id="statistics_retrieve",
        summary=gettext_lazy("调度统计与赛马比拼"),
        parameters=[PLAN, PERIOD, TODAY],
        responses={
            200: StatisticsSerializer,
            400: BAD,
            401: schema.UNAUTHENTICATED,
            429: schema.THROTTLED,
        },
    )
    def get(self, request):
        plan, period, today = _arguments(request)
        stats = statistics_build(plan, period, today=today)
        leagues = ranking_build(plan, period, stats=stats)
        return Response(
            statistics_summary(stats, leagues, absolute=request.build_absolute_uri)
        )


class StatisticsItemsView(APIView):
    """The projects counted by one figure of one unit, with what each adds."""

    @extend_schema(
        tags=["statistics"],
        operation_id="statistics_items_retrieve",
        summary=gettext_lazy("统计数字背后的项目"),
        parameters=[
            PLAN,
            PERIOD,
            TODAY,
            OpenApiParameter(
                "unit",
                OpenApiTypes.STR,
                description=gettext_lazy(
                    "统计单位：all，或 district:编码、department:编码、table:表号、"
                    "cluster:编码"
                ),
                required=True,
            ),
            OpenApiParameter(
                "figure",
                OpenApiTypes.STR,
                description=gettext_lazy("统计项，如 started、problems_raised"),
                required=True,
            ),
        ],
        responses={
            200: StatisticsItemsPageSerializer,
            400: BAD,
            401: schema.UNAUTHENTICATED,
            429: schema.THROTTLED,
        },
    )
    def get(self, request):
        plan, period, today = _arguments(request)
        stats = statistics_build(plan, period, today=today)
        unit = request.query_params.get("unit", "")
        figure = request.query_params.get("figure", "")
        rows = items_of(stats, unit, figure)
        if rows is None:
            raise ValidationError(
                {
                    "unit": _("没有统计单位“%(unit)s”或统计项“%(figure)s”。")
                    % {"unit": unit, "figure": figure}
                }
            )
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(page)


class EvaluationView(APIView):
    """The figures of the plan's evaluation (终期评估 at the plan's last year,
    中期评估 at another): indicators graded, completion by table, district and
    cluster, projects to carry over, problems."""

    @extend_schema(
        tags=["statistics"],
        operation_id="statistics_evaluation_retrieve",
        summary=gettext_lazy("规划评估数据"),
        parameters=[
            PLAN,
            OpenApiParameter(
                "year",
                OpenApiTypes.INT,
                description=gettext_lazy("评估年度（默认规划末年）"),
            ),
        ],
        responses={
            200: EvaluationSerializer,
            400: BAD,
            401: schema.UNAUTHENTICATED,
            429: schema.THROTTLED,
        },
    )
    def get(self, request):
        plan, _period, _today = _arguments(request)
        raw = request.query_params.get("year") or str(plan.end_year)
        if not raw.isdigit() or not plan.start_year <= int(raw) <= plan.end_year:
            raise ValidationError(
                {
                    "year": _("评估年度须在 %(a)s 至 %(b)s 之间。")
                    % {"a": plan.start_year, "b": plan.end_year}
                }
            )
        return Response(evaluation_summary(plan, int(raw)))


urlpatterns = [
    path(
        "statistics/evaluation/",
        EvaluationView.as_view(),
        name="api-statistics-evaluation",
    ),
    path("statistics/", StatisticsView.as_view(), name="api-statistics"),
    path(
        "statistics/items/",
        StatisticsItemsView.as_view(),
        name="api-statistics-items",
    ),
]
