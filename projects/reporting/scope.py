"""Which projects count for a plan, and how a project's table is read.

The one place that decides both: every statistic, ranking and report of
``projects.reporting`` asks here. When plans gain statuses (removed, reserve) or
tables become rows of their own, the change is made here and nowhere else.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from portfolio.models import Plan
from portfolio.selectors import current_plan
from projects.choices import ProjectTable
from projects.models import Project

# The field of ``Project`` that names its table (表1…表7), as values() reads it.
TABLE_FIELD = "table"


def active_q(plan: Plan, prefix: str = "") -> Q:
    """The projects of ``plan`` that count in its statistics and reports.

    ``prefix`` reaches projects from another model (``"project__"``).
    """
    return Q(**{f"{prefix}plan": plan})


def plan_projects(plan: Plan) -> QuerySet[Project]:
    """The projects that count for ``plan``."""
    return Project.objects.filter(active_q(plan))


def table_label(value) -> str:
    """How a table is named (表1), from the value of ``TABLE_FIELD``."""
    try:
        return str(ProjectTable(value).label)
    except ValueError:
        return gettext("表%(n)s") % {"n": value}


def plan_tables(plan: Plan) -> list[tuple[int, str]]:
    """The plan's tables, in order, as (value, label)."""
    values = (
        plan_projects(plan)
        .order_by(TABLE_FIELD)
        .values_list(TABLE_FIELD, flat=True)
        .distinct()
    )
    return [(value, table_label(value)) for value in values]


def plan_find(code: str | None) -> Plan | None:
    """The plan named by ``code``; without one, the current plan."""
    if not code:
        return current_plan()
    return Plan.objects.filter(code=code).first()


def carry_over_recorded(plan: Plan) -> bool:
    """Whether carry-over links (续建) of ``plan``'s projects are recorded yet.

    Projects do not carry such links today (issue 16 adds them): until then the
    evaluation says so and lists the unfinished projects instead.
    """
    return any(f.name == "continued_by" for f in Project._meta.get_fields())
