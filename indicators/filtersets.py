"""Filters of the indicator list."""

from __future__ import annotations

import django_filters as filters

from portfolio.filtersets import ChoicesFilter, CodesFilter
from portfolio.models import Sector

from .choices import Direction
from .models import Indicator


class IndicatorFilterSet(filters.FilterSet):
    direction = ChoicesFilter(choices=Direction.choices, label="方向")
    sector = CodesFilter(field_name="sector__code", model=Sector, label="产业编码")

    class Meta:
        model = Indicator
        fields = ["direction", "sector"]
