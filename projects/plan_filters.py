"""The admin's plan picker and the filters that follow it (the shown plan's
tables and years): plans are data, and every list is one plan's by default."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.models import Plan
from portfolio.selectors import current_plan
from projects.models import PlanTable


class PlanListFilter(admin.SimpleListFilter):
    """The plan picker (规划): the current plan unless another is chosen."""

    title = _("规划")
    parameter_name = "plan"
    plan_path = "plan"

    def lookups(self, request, model_admin):
        return [(plan.code, str(plan)) for plan in Plan.objects.all()]

    def value(self):
        chosen = super().value()
        if chosen:
            return chosen
        plan = current_plan()
        return plan.code if plan else None

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            return queryset.filter(**{f"{self.plan_path}__code": value})
        return queryset


class RecordPlanListFilter(PlanListFilter):
    plan_path = "project__plan"


class TableListFilter(admin.SimpleListFilter):
    """The tables (表N) of the plan picked in the plan picker (or the current one)."""

    title = _("项目表")
    parameter_name = "table"  # ?table=3: 表3 of the plan shown
    table_path = "table"

    def lookups(self, request, model_admin):
        code = request.GET.get(PlanListFilter.parameter_name)
        plan = Plan.objects.filter(code=code).first() if code else current_plan()
        tables = (
            PlanTable.objects.filter(plan=plan)
            .select_related("sector")
            .order_by("number")
        )
        return [(str(t.number), f"{t.label} {t.sector.name}") for t in tables]

    def queryset(self, request, queryset):
        value = self.value() or ""
        if value.isascii() and value.isdigit():
            return queryset.filter(**{f"{self.table_path}__number": int(value)})
        return queryset


class RecordTableListFilter(TableListFilter):
    parameter_name = "project_table"
    table_path = "project__table"


def plan_years(plan: Plan | None = None) -> range:
    """The years of ``plan`` (the current one by default) up to this year, and
    on past its end while it is being closed."""
    plan = plan or current_plan()
    this_year = timezone.localdate().year
    first = plan.start_year if plan else this_year
    return range(first, max(this_year, plan.end_year if plan else this_year) + 1)
