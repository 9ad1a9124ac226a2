"""Filters of the indicator list."""

from __future__ import annotations

import django_filters as filters

from portfolio.filtersets import ChoicesFilter, CodesFilter
from portfolio.models import Department, District, Sector

from .choices import Direction, Measure
from .models import Indicator


class IndicatorFilterSet(filters.FilterSet):
    direction = ChoicesFilter(choices=Direction.choices, label="方向")
    measure = ChoicesFilter(choices=Measure.choices, label="计量方式")
    sector = CodesFilter(field_name="sector__code", model=Sector, label="产业编码")
    department = CodesFilter(
        field_name="department__code", model=Department, label="责任单位编码"
    )
    district = CodesFilter(
        field_name="district__code", model=District, label="县区编码"
    )

    class Meta:
        model = Indicator
        fields = ["direction", "measure", "sector", "department", "district"]
