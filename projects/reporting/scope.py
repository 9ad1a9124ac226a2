"""Which projects count for a plan, and how a project's table is read.

The one place that decides both: every statistic, ranking and report of
``projects.reporting`` asks here. A plan's projects are those on its list
(``projects.choices.LISTED_STATUSES``: not removed, not in the reserve); a
table is the number of the plan's own table (``projects.models.PlanTable``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from portfolio.models import Plan
from portfolio.selectors import current_plan
from projects.choices import LISTED_STATUSES
from projects.models import Project
from projects.selectors import projects_of_plan

# The number of a project's table within its plan (表1…表N), as values() reads it.
TABLE_FIELD = "table__number"


def active_q(plan: Plan, prefix: str = "") -> Q:
    """The projects of ``plan`` that count in its statistics and reports.

    ``prefix`` reaches projects from another model (``"project__"``).
    """
    return Q(**{f"{prefix}plan": plan, f"{prefix}status__in": LISTED_STATUSES})


def plan_projects(plan: Plan) -> QuerySet[Project]:
    """The projects that count for ``plan``: those on its list."""
    return projects_of_plan(plan=plan)


def table_label(value) -> str:
    """How a table is named (表1), from the value of ``TABLE_FIELD``."""
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
    """Whether carry-over links (续建) of ``plan``'s projects are recorded.

    Until ``carry_over`` has run, the evaluation says so and lists the
    unfinished projects instead of the carried ones.
    """
    return plan_projects(plan).filter(continued_by__isnull=False).exists()
