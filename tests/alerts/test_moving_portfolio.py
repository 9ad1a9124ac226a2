"""The rules follow the portfolio as it moves (issue 16): a project taken off the
list (调出) is no longer chased, and one carried on into the next plan is chased
under its new code from the year the new plan begins; its earlier years are
still owed under the old one."""

from __future__ import annotations

import datetime as dt

import pytest

from portfolio.models import Plan, Sector
from projects.alerts.choices import NoticeKind
from projects.choices import Phase, ProjectStatus
from projects.models import PlanTable, Project
from tests.alerts.test_rules import apply, open_notices
from tests.factories import ProjectFactory, YearRecordFactory

pytestmark = pytest.mark.django_db
NEW_YEAR_2026 = dt.date(2026, 1, 1)


@pytest.fixture
def late(plan, supervisor):
    """A 14th-plan project that should have been finished in 2025."""
    return ProjectFactory(
        start_year=2023, end_year=2025, phase=Phase.UNDER_CONSTRUCTION
    )


@pytest.fixture
def fifteenth(plan):
    fifteenth = Plan.objects.create(
        code="15th-test",
        name="测试用“十五五”规划",
        issuer="巴中市人民政府",
        issued_on=dt.date(2026, 6, 1),
        start_year=2026,
        end_year=2030,
        is_current=False,
    )
    PlanTable.objects.create(
        plan=fifteenth,
        number=3,
        title="商贸物流",
        sector=Sector.objects.get(code="commerce-logistics"),
    )
    return fifteenth


def _continue(project: Project, plan: Plan) -> Project:
    return ProjectFactory(
        plan=plan,
        continues=project,
        start_year=2026,
        end_year=2027,
        phase=Phase.UNDER_CONSTRUCTION,
    )


def test_a_removed_project_is_no_longer_chased(late):
    apply(NoticeKind.SCHEDULE_OVERDUE, NEW_YEAR_2026)
    assert open_notices(late, NoticeKind.SCHEDULE_OVERDUE)
    Project.objects.filter(pk=late.pk).update(status=ProjectStatus.REMOVED)
    resolved, created = apply(NoticeKind.SCHEDULE_OVERDUE, NEW_YEAR_2026)
    assert resolved >= 1 and created == 0
    assert not open_notices(late, NoticeKind.SCHEDULE_OVERDUE)


def test_a_reserve_project_is_not_chased_to_start(plan, supervisor):
    reserve = ProjectFactory(
        table=None,
        status=ProjectStatus.RESERVE,
        start_year=2026,
        end_year=2027,
        phase=Phase.PREPARING,
    )
    apply(NoticeKind.LATE_START, NEW_YEAR_2026)
    assert not open_notices(reserve, NoticeKind.LATE_START)


def test_a_carried_on_project_is_chased_under_its_new_code(late, fifteenth):
    apply(NoticeKind.SCHEDULE_OVERDUE, NEW_YEAR_2026)
    assert open_notices(late, NoticeKind.SCHEDULE_OVERDUE)
    _continue(late, fifteenth)
    apply(NoticeKind.SCHEDULE_OVERDUE, NEW_YEAR_2026)
    # The work goes on under the new plan's code, within its new period.
    assert not open_notices(late, NoticeKind.SCHEDULE_OVERDUE)


def test_its_earlier_reports_are_still_owed_and_the_new_years_are_not(late, fifteenth):
    owed = YearRecordFactory(project=late, year=2025, due_date=dt.date(2025, 12, 20))
    moved = YearRecordFactory(project=late, year=2026, due_date=dt.date(2026, 12, 20))
    _continue(late, fifteenth)
    apply(NoticeKind.REPORT_OVERDUE, dt.date(2026, 12, 21))
    assert open_notices(owed, NoticeKind.REPORT_OVERDUE)
    assert not open_notices(moved, NoticeKind.REPORT_OVERDUE)
