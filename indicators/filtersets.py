"""Filters of the indicator list."""

from __future__ import annotations

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from portfolio.filtersets import ChoicesFilter, CodesFilter, plan_filter
from portfolio.models import Department, District, Sector

from .choices import Direction, Measure
from .models import Indicator


class IndicatorFilterSet(filters.FilterSet):
    plan = plan_filter()
    direction = ChoicesFilter(choices=Direction.choices, label=_("方向"))
    measure = ChoicesFilter(choices=Measure.choices, label=_("计量方式"))
    sector = CodesFilter(field_name="sector__code", model=Sector, label=_("产业编码"))
    department = CodesFilter(
        field_name="department__code", model=Department, label=_("责任单位编码")
    )
    district = CodesFilter(
        field_name="district__code", model=District, label=_("县区编码")
    )

    class Meta:
        model = Indicator
        fields = ["plan", "direction", "measure", "sector", "department", "district"]
