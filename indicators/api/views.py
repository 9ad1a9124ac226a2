"""The plan's indicators (考核指标) with their targets."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view

from indicators.filtersets import IndicatorFilterSet
from indicators.selectors import indicators_queryset
from portfolio.api import schema
from portfolio.api.base import ListMixin, PortfolioViewSet, RetrieveMixin
from portfolio.api.export import Column

from .serializers import IndicatorSerializer


def _targets_text(row: dict) -> list[str]:
    return [
        gettext("%(year)s：%(text)s")
        % {"year": target["year"] or gettext("规划期"), "text": target["text"]}
        for target in row["targets"]
    ]


@extend_schema_view(
    list=extend_schema(
        tags=["indicators"],
        summary=_("考核指标列表"),
        responses=schema.list_responses(IndicatorSerializer),
    ),
    retrieve=extend_schema(
        tags=["indicators"],
        summary=_("单个考核指标"),
        responses={200: IndicatorSerializer, **schema.READ_ERRORS},
    ),
    **schema.export_schemas(tag="indicators", name="indicators", noun=_("考核指标")),
)
class IndicatorViewSet(ListMixin, RetrieveMixin, PortfolioViewSet):
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    plan_field = "plan"
    lookup_field = "code"
    lookup_value_regex = r"[-\w]+"
    export_name = "indicators"
    export_columns = [
        Column(_("编码"), "code"),
        Column(_("指标名称"), "name"),
        Column(_("单位"), "unit"),
        Column(_("方向"), "direction"),
        Column(_("基期年"), lambda row: (row["baseline"] or {}).get("year"), "number"),
        Column(_("基期值"), lambda row: (row["baseline"] or {}).get("value"), "number"),
        Column(_("目标"), _targets_text, "list"),
    ]

    def get_serializer_context(self):
        # The values each caller sees: the admin's rule (``values_visible``).
        return {**super().get_serializer_context(), "scope": self.access.scope}

    def get_queryset(self):
        return (
            indicators_queryset()
            .filter(plan__is_current=True)
            .order_by("order", "code")
        )
