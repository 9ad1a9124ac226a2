"""The dispatch statistics against independent counts in SQL.

Every figure of every unit (the plan, each district, department, table and
cluster) for a month, a quarter and a year, on the loaded plan with generated
reports. The SQL below is written from the definitions, not from the code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from projects.adjustments import (
    adjustment_approve,
    adjustment_propose,
    adjustment_submit,
)
from projects.choices import AdjustmentKind
from projects.models import Project
from projects.reporting.periods import period_parse
from projects.reporting.statistics import COUNTS, DIMENSIONS, statistics_build
from tests.factories import admin_actor, reviewer
from tests.reporting.support import generate_reports

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)
SINCE = dt.date(2026, 1, 1)

UNITS = {
    "all": ("'all'", ""),
    "district": ("d.code", "JOIN portfolio_district d ON d.id = p.district_id"),
    # A department answers for its own projects, its district's (a district
    # government) and its sectors' (a city bureau).
    "department": (
        "dp.code",
        "JOIN portfolio_department dp ON dp.id = p.department_id "
        "OR dp.district_id = p.district_id OR EXISTS (SELECT 1 FROM "
        "portfolio_department_sectors ds WHERE ds.department_id = dp.id "
        "AND ds.sector_id = p.sector_id)",
    ),
    "table": ("pt.number::text", "JOIN projects_plantable pt ON pt.id = p.table_id"),
    "cluster": (
        "c.code",
        "JOIN projects_project_clusters pc ON pc.project_id = p.id "
        "JOIN portfolio_cluster c ON c.id = pc.cluster_id",
    ),
}
LOCAL = "(({col}) AT TIME ZONE 'Asia/Shanghai')::date"
PHASE = """LEFT JOIN LATERAL (
    SELECT r0.phase FROM projects_yearrecord r0
    WHERE r0.project_id = p.id AND r0.year <= %(year)s AND r0.phase <> ''
    ORDER BY r0.year DESC LIMIT 1) ph ON true"""
LATEST = """(SELECT u.cumulative_investment FROM projects_progressupdate u
    WHERE u.year_record_id = r.id AND u.period_end <= %(end)s
    ORDER BY u.period_end DESC LIMIT 1)"""
OPEN_AT_END = (
    f"q.raised_on <= %(as_of)s AND (q.solved_at IS NULL "
    f"OR {LOCAL.format(col='q.solved_at')} > %(as_of)s)"
)
HANDLING = (
    f"q.handling_since IS NOT NULL AND {LOCAL.format(col='q.handling_since')} "
    "<= %(as_of)s"
)
# figure → (value expression, FROM after the project table, WHERE)
FIGURES = {
    "due_start": ("count(*)", "", "p.start_year <= %(year)s"),
    "started": (
        "count(*)",
        PHASE,
        "p.start_year <= %(year)s AND ph.phase IN "
        "('under_construction', 'completed', 'in_operation')",
    ),
    "due_end": ("count(*)", "", "p.end_year <= %(year)s"),
    "completed": (
        "count(*)",
        PHASE,
        "p.end_year <= %(year)s AND ph.phase IN ('completed', 'in_operation')",
    ),
    "planned_investment": (
        "coalesce(sum(r.planned_investment), 0)",
        "JOIN projects_yearrecord r ON r.project_id = p.id",
        "r.year = %(year)s",
    ),
    "completed_investment": (
        f"coalesce(sum(CASE WHEN %(whole_year)s "
        f"THEN coalesce(r.actual_investment, {LATEST}, 0) "
        f"ELSE coalesce({LATEST}, 0) END), 0)",
        "JOIN projects_yearrecord r ON r.project_id = p.id",
        "r.year = %(year)s",
    ),
    "reports_due": (
        "count(*)",
        "JOIN projects_yearrecord r ON r.project_id = p.id",
        "r.due_date BETWEEN %(start)s AND %(last)s",
    ),
    "reports_on_time": (
        "count(*)",
        "JOIN projects_yearrecord r ON r.project_id = p.id",
        "r.due_date BETWEEN %(start)s AND %(last)s AND r.submitted_at IS NOT NULL "
        f"AND {LOCAL.format(col='r.submitted_at')} <= r.due_date",
    ),
    # Monthly cadence: months 1–11 of the year (December is the yearly report's),
    # each due on the 5th of the next month.
    "updates_due": (
        "count(*)",
        "JOIN projects_yearrecord r ON r.project_id = p.id "
        "CROSS JOIN generate_series(1, 11) AS m(n)",
        "r.year = %(year)s AND r.phase NOT IN "
        "('completed', 'in_operation', 'cancelled', 'suspended') "
        "AND make_date(%(year)s, m.n + 1, 5) BETWEEN %(start)s AND %(last)s "
        "AND make_date(%(year)s, m.n + 1, 1) - 1 >= %(since)s",
    ),
    "updates_on_time": (
        "count(*)",
        "JOIN projects_yearrecord r ON r.project_id = p.id "
        "CROSS JOIN generate_series(1, 11) AS m(n) "
        "JOIN projects_progressupdate u ON u.year_record_id = r.id "
        "AND u.period = %(year)s::text || '-' || lpad(m.n::text, 2, '0')",
        "r.year = %(year)s AND r.phase NOT IN "
        "('completed', 'in_operation', 'cancelled', 'suspended') "
        "AND make_date(%(year)s, m.n + 1, 5) BETWEEN %(start)s AND %(last)s "
        "AND make_date(%(year)s, m.n + 1, 1) - 1 >= %(since)s "
        f"AND {LOCAL.format(col='u.submitted_at')} <= make_date(%(year)s, m.n + 1, 5)",
    ),
    "problems_raised": (
        "count(*)",
        "JOIN projects_coordinationproblem q ON q.project_id = p.id",
        "q.raised_on BETWEEN %(start)s AND %(as_of)s",
    ),
    "problems_solved": (
        "count(*)",
        "JOIN projects_coordinationproblem q ON q.project_id = p.id",
        f"{LOCAL.format(col='q.solved_at')} BETWEEN %(start)s AND %(as_of)s",
    ),
    "solve_days": (
        f"coalesce(sum({LOCAL.format(col='q.solved_at')} - q.raised_on), 0)",
        "JOIN projects_coordinationproblem q ON q.project_id = p.id",
        f"{LOCAL.format(col='q.solved_at')} BETWEEN %(start)s AND %(as_of)s",
    ),
    "problems_handling": (
        "count(*)",
        "JOIN projects_coordinationproblem q ON q.project_id = p.id",
        f"{OPEN_AT_END} AND {HANDLING}",
    ),
    "problems_open": (
        "count(*)",
        "JOIN projects_coordinationproblem q ON q.project_id = p.id",
        f"{OPEN_AT_END} AND NOT ({HANDLING})",
    ),
}


def _sql(dimension: str, figure: str, params: dict) -> dict[str, Decimal]:
    unit, join = UNITS[dimension]
    value, more, where = FIGURES[figure]
    query = (
        f"SELECT {unit} AS unit, {value} FROM projects_project p {join} {more} "
        # On the plan's list: neither removed (调出) nor in the reserve.
        f"WHERE p.plan_id = %(plan)s AND p.status = 'active' AND {where} GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {code: Decimal(n) for code, n in cursor.fetchall() if n}


@pytest.fixture
def reports(plan, settings):
    settings.PROJECTS_PROGRESS_SINCE = SINCE
    generate_reports(plan)
    # One project taken off the list (调出) after its reports: it no longer counts.
    removal = adjustment_propose(
        plan=plan,
        kind=AdjustmentKind.REMOVE,
        actor=admin_actor(),
        reason="项目业主放弃实施",
        project=Project.objects.get(code="t3-001"),
    )
    removal = adjustment_submit(adjustment=removal, actor=admin_actor())
    adjustment_approve(adjustment=removal, actor=reviewer())
    return plan


@pytest.mark.parametrize("key", ["2026-11", "2026-Q3", "2026", "2025", "2025-06"])
def test_every_figure_of_every_unit_is_the_sql_count(reports, key):
    period = period_parse(key)
    stats = statistics_build(reports, period, today=TODAY)
    params = {
        "plan": reports.pk,
        "year": period.year,
        "start": period.start,
        "end": period.end,
        "as_of": min(period.end, TODAY),
        "last": min(period.end, TODAY - dt.timedelta(days=1)),
        "since": SINCE,
        "whole_year": period.kind == "year",
    }
    checked = 0
    for dimension in ["all", *DIMENSIONS]:
        units = [stats.total] if dimension == "all" else stats.units[dimension]
        for figure in COUNTS:
            expected = _sql(dimension, figure, params)
            got = {u.code: Decimal(u.counts[figure]) for u in units if u.counts[figure]}
            assert got == expected, (key, dimension, figure)
            checked += len(units)
    assert checked >= 700  # 51 units × 15 figures on the loaded plan
    if key == "2026":  # every project of the plan is due to have started
        assert stats.total.counts["due_start"] == 134  # 135 less the one removed


def test_the_generated_reports_reach_every_figure(reports):
    """No figure is checked only at zero: each is non-zero in a period above."""
    totals = [
        statistics_build(reports, period_parse(key), today=TODAY).total.counts
        for key in ["2026-11", "2025"]
    ]
    assert [f for f in COUNTS if not any(t[f] for t in totals)] == []


def test_rates_are_their_counts_divided(reports):
    stats = statistics_build(reports, period_parse("2026-11"), today=TODAY)
    total = stats.total
    assert stats.schedule == Decimal("0.9167")
    assert total.rate("start_rate") == round(
        Decimal(total.counts["started"]) / total.counts["due_start"], 4
    )
    due = total.counts["reports_due"] + total.counts["updates_due"]
    on_time = total.counts["reports_on_time"] + total.counts["updates_on_time"]
    assert total.rate("on_time_rate") == round(Decimal(on_time) / due, 4)
    assert total.average_solve_days == round(
        Decimal(total.counts["solve_days"]) / total.counts["problems_solved"], 1
    )


def test_a_period_without_reports_says_so(plan):
    stats = statistics_build(plan, period_parse("2026-11"), today=TODAY)
    assert stats.reported == 0
    assert stats.total.rate("investment_rate") is None
    assert stats.total.rate("on_time_rate") is None
