"""``GET /api/v1/oc4ids/``: the caller's projects as an OC4IDS project package.

The same filters as the project list (``ProjectFilterSet``), within the same
scope (an API client limited to some departments gets their projects only),
and ``?plan=`` (the current plan by default). The whole filtered package in one
streamed response, not paginated.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError

from portfolio.api import schema
from portfolio.api.base import PortfolioViewSet
from projects.api.views import project_queryset
from projects.exchange.oc4ids import oc4ids_plan, oc4ids_stream
from projects.filtersets import ProjectFilterSet


class Oc4idsViewSet(PortfolioViewSet):
    """The portfolio in the Open Contracting for Infrastructure Data Standard."""

    filterset_class = ProjectFilterSet
    pagination_class = None

    def get_queryset(self):
        return project_queryset(self.access.scope)

    @extend_schema(
        tags=["oc4ids"],
        operation_id="oc4ids_package",
        summary=gettext_lazy("OC4IDS 项目数据包"),
        description=gettext_lazy(
            "按 OC4IDS 0.9.5 导出的项目数据包（project package）：整个筛选结果，"
            "不分页。筛选条件与项目列表相同，另可用 ?plan= 指定规划（默认当前规划）。"
            "字段对应关系见 docs/oc4ids.md。"
        ),
        responses={
            200: OpenApiTypes.OBJECT,
            400: schema.INVALID,
            401: schema.UNAUTHENTICATED,
            429: schema.THROTTLED,
        },
    )
    def list(self, request, *args, **kwargs):
        plan = oc4ids_plan(request.query_params.get("plan", "").strip() or None)
        if plan is None:
            raise ValidationError({"plan": [_("没有这个规划。")]})
        queryset = self.filter_queryset(self.get_queryset().filter(plan=plan))
        response = StreamingHttpResponse(
            oc4ids_stream(queryset, plan=plan, uri=request.build_absolute_uri()),
            content_type="application/json",
        )
        response["Content-Disposition"] = f'inline; filename="oc4ids-{plan.code}.json"'
        return response
