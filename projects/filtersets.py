"""Filters of the project and year-record lists (django-filter).

Codes everywhere: ``?district=bazhou,enyang`` or ``?district=bazhou&district=
enyang``; ranges as ``<field>_min`` and ``<field>_max`` (``due_date_after`` and
``_before`` stay as deprecated aliases); ``updated_since`` (ISO 8601 with its
zone) for incremental sync: everything whose ``modified_at`` is that moment or
later, embedded objects included (``modified_paths``). Apps above ``projects``
add filters on what they embed (the dossier's ``?light=``) and where their data
is stamped through ``projects.api.extensions``.
"""

from __future__ import annotations

import django_filters as filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.choices import ReviewState
from portfolio.filtersets import (
    ChoicesFilter,
    CodesField,
    CodesFilter,
    ExpandingOrderingFilter,
    IntegerFilter,
    IsoDateTimeFilter,
    StrictBooleanFilter,
    deprecated,
    plan_filter,
)
from portfolio.models import Cluster, Department, District, Sector
from portfolio.sync import modified_since_q
from projects.choices import Phase, ProjectStatus

from .models import Project, YearRecord
from .selectors import overdue_projects_q, overdue_year_records


def _table_number(value: str) -> int | None:
    text = value.strip().removeprefix(gettext("表"))
    # ASCII digits only: "²".isdigit() is true and int("²") raises.
    return int(text) if text.isascii() and text.isdigit() and len(text) < 4 else None


# Table numbers a plan may use (表1 … 表99).
MAX_TABLE = 99


class TableFilter(filters.Filter):
    """``?table=3`` (the table's number; ``表3`` is read too), several as
    ``3,4`` or ``table=3&table=4``."""

    field_class = CodesField
    openapi = {"type": "array", "items": {"type": "integer"}}

    def filter(self, qs, value):
        if not value:
            return qs
        numbers = [_table_number(part) for part in value]
        if any(n is None or not 1 <= n <= MAX_TABLE for n in numbers):
            raise ValidationError({"table": _("项目表应为表号，如 3 或 表3。")})
        return qs.filter(**{f"{self.field_name}__number__in": numbers})


def project_overdue_q(today) -> Q:
    """Late to start, past its end year unfinished, or a report overdue."""
    return overdue_projects_q(today) | Q(
        Exists(overdue_year_records(today).filter(project=OuterRef("pk")))
    )


class ProjectFilterSet(filters.FilterSet):
    sector = CodesFilter(field_name="sector__code", model=Sector, label=_("产业编码"))
    district = CodesFilter(
        field_name="district__code", model=District, label=_("县区编码")
    )
    department = CodesFilter(
        field_name="department__code", model=Department, label=_("责任单位编码")
    )
    cluster = CodesFilter(
        field_name="clusters__code",
        model=Cluster,
        method="filter_cluster",
        label=_("集聚区编码"),
    )
    plan = plan_filter()
    table = TableFilter(field_name="table", label=_("项目表的表号（如 1–7）"))
    status = ChoicesFilter(choices=ProjectStatus.choices, label=_("项目状态"))
    phase = ChoicesFilter(choices=Phase.choices, label=_("当前阶段"))
    year = IntegerFilter(method="filter_year", label=_("该年度有年度记录"))
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("是否逾期"))
    search = filters.CharFilter(method="filter_search", label=_("名称/编码/内容包含"))
    updated_since = IsoDateTimeFilter(
        method="filter_updated_since",
        label=_(
            "此时间（ISO 8601，带时区）以来有变化：modified_at 不早于它"
            "（含嵌入的年度记录、档案、红绿灯）；传入上次列表的 sync_token"
        ),
    )
    start_year = filters.RangeFilter(label=_("开工年范围"))
    end_year = filters.RangeFilter(label=_("完工年范围"))
    ordering = ExpandingOrderingFilter(
        expand={
            "table": ["plan_id", "table__number", "number"],
            "code": ["code"],
            "name": ["name"],
            "start_year": ["start_year"],
            "end_year": ["end_year"],
            "updated_at": ["updated_at"],
        },
        label=_(
            "排序：table、code、name、start_year、end_year、updated_at；前加 - 为倒序"
        ),
    )

    # Where a project and what it shows are stamped (see projects.api.extensions).
    modified_paths = ["updated_at", "year_records__updated_at"]

    class Meta:
        model = Project
        fields = []

    def filter_cluster(self, qs, name, value):
        if not value:
            return qs
        through = Project.clusters.through.objects.filter(
            project_id=OuterRef("pk"), cluster__code__in=value
        )
        return qs.filter(Exists(through))

    def filter_year(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(
            Exists(YearRecord.objects.filter(project=OuterRef("pk"), year=value))
        )

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        condition = project_overdue_q(timezone.localdate())
        return qs.filter(condition) if value else qs.exclude(condition)

    def filter_search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__icontains=value)
            | Q(code__icontains=value)
            | Q(content__icontains=value)
        )

    def filter_updated_since(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(modified_since_q(Project, self.modified_paths, value))


class YearRecordFilterSet(filters.FilterSet):
    plan = plan_filter("project__plan__code")
    project = CodesFilter(field_name="project__code", label=_("项目编码"))
    year = IntegerFilter(label=_("年度"))
    year_min = IntegerFilter(field_name="year", lookup_expr="gte")
    year_max = IntegerFilter(field_name="year", lookup_expr="lte")
    state = ChoicesFilter(choices=ReviewState.choices, label=_("审核状态"))
    phase = ChoicesFilter(choices=Phase.choices, label=_("年度阶段"))
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("是否逾期未报"))
    district = CodesFilter(
        field_name="project__district__code", model=District, label=_("县区编码")
    )
    sector = CodesFilter(
        field_name="project__sector__code", model=Sector, label=_("产业编码")
    )
    department = CodesFilter(
        field_name="project__department__code",
        model=Department,
        label=_("责任单位编码"),
    )
    planned_investment = filters.RangeFilter(label=_("计划投资（万元）范围"))
    actual_investment = filters.RangeFilter(label=_("完成投资（万元）范围"))
    percent_complete = filters.RangeFilter(label=_("形象进度（%）范围"))
    due_date_min = filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label=_("报送截止日不早于")
    )
    due_date_max = filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label=_("报送截止日不晚于")
    )
    due_date = deprecated(
        filters.DateFromToRangeFilter(label=_("报送截止日范围")), use="due_date_min/max"
    )
    updated_since = IsoDateTimeFilter(
        method="filter_updated_since",
        label=_(
            "此时间（ISO 8601，带时区）以来有变化：modified_at 不早于它"
            "（含所属项目、进度更新）；传入上次列表的 sync_token"
        ),
    )
    ordering = ExpandingOrderingFilter(
        expand={
            "project": [
                "project__plan_id",
                "project__table__number",
                "project__number",
            ],
            "year": ["year"],
            "due_date": ["due_date"],
            "state": ["state"],
            "planned_investment": ["planned_investment"],
            "actual_investment": ["actual_investment"],
            "updated_at": ["updated_at"],
        },
        label=_(
            "排序：project、year、due_date、state、planned_investment、"
            "actual_investment、updated_at，前加 - 为倒序"
        ),
    )

    # Where a record and what it shows are stamped (see projects.api.extensions).
    modified_paths = ["updated_at", "project__updated_at"]

    class Meta:
        model = YearRecord
        fields = []

    def filter_updated_since(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(modified_since_q(YearRecord, self.modified_paths, value))

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        overdue = overdue_year_records(timezone.localdate()).values("pk")
        return qs.filter(pk__in=overdue) if value else qs.exclude(pk__in=overdue)
