"""The deadline rules at their boundaries: the day before, of and after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from portfolio.choices import ReviewState
from portfolio.models import District, Sector
from projects.alerts.choices import NoticeKind
from projects.alerts.delivery import deadlines_scan
from projects.alerts.models import Notice
from projects.alerts.rules import RULES_BY_KIND, day_start, rule_create, rule_resolve
from projects.choices import Phase
from projects.models import Project, YearRecord
from projects.services import (
    year_record_approve,
    year_record_reopen,
    year_record_return,
    year_record_submit,
    year_record_update,
)
from tests.factories import (
    ProjectFactory,
    UserFactory,
    YearRecordFactory,
    admin_actor,
    reviewer,
)

DUE = dt.date(2026, 12, 20)


def apply(kind: NoticeKind, today: dt.date) -> tuple[int, int]:
    """Run one rule as the scan does: resolve what is gone, then create."""
    rule = RULES_BY_KIND[kind]
    now = timezone.now()
    return rule_resolve(rule, today, now), rule_create(rule, today, now)


def open_notices(item, kind: NoticeKind | None = None) -> set[tuple[str, str, str]]:
    """(kind, recipient, period) of the item's unresolved notices."""
    query = Q(object_id=item.pk, resolved_at__isnull=True)
    query &= Q(year_record=item) if isinstance(item, YearRecord) else Q(project=item)
    if isinstance(item, Project):
        query &= Q(year_record__isnull=True)
    if kind:
        query &= Q(kind=kind)
    return set(
        Notice.objects.filter(query).values_list(
            "kind", "recipient__username", "period"
        )
    )


def recipients(item, kind) -> set[str]:
    return {name for _, name, _ in open_notices(item, kind)}


@pytest.fixture
def clerk_commerce(db):
    return UserFactory.clerk(["commerce-bureau"], username="t-clerk-commerce")


@pytest.fixture
def clerk_nanjiang(db):
    return UserFactory.clerk(["nanjiang-gov"], username="t-clerk-nanjiang")


@pytest.fixture
def record(db):
    """A 巴州区 commerce project's 2026 report, due 20 December, still a draft."""
    return YearRecordFactory(
        project=ProjectFactory(start_year=2025, end_year=2027),
        year=2026,
        due_date=DUE,
    )


# --- Reminders -------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "periods"),
    [
        (dt.date(2026, 12, 5), set()),  # 15 days left
        (dt.date(2026, 12, 6), {"D-14"}),  # 14 days left
        (dt.date(2026, 12, 10), {"D-14"}),  # a missed day is caught up
        (dt.date(2026, 12, 13), {"D-7"}),
        (dt.date(2026, 12, 19), {"D-1"}),  # the day before
        (dt.date(2026, 12, 20), {"D-1"}),  # the due day itself
        (dt.date(2026, 12, 21), set()),  # the day after: overdue, no reminder
    ],
)
def test_reminder_lead_times(record, today, periods):
    apply(NoticeKind.REMINDER, today)
    assert {p for _, _, p in open_notices(record, NoticeKind.REMINDER)} == periods


def test_reminder_goes_to_the_clerks_who_cover_the_project(
    record, clerk_bazhou, clerk_commerce, clerk_nanjiang, clerk_education, supervisor
):
    apply(NoticeKind.REMINDER, dt.date(2026, 12, 13))
    got = recipients(record, NoticeKind.REMINDER)
    # The district's government and the sector's bureau (also the demo clerks).
    assert {"t-clerk-bazhou", "t-clerk-commerce"} <= got
    assert {"clerk-bazhou-gov", "clerk-commerce-bureau"} <= got
    assert not got & {"t-clerk-nanjiang", "t-clerk-edu", "t-supervisor", "supervisor"}


def test_reminders_succeed_each_other_then_give_way_to_overdue(record):
    apply(NoticeKind.REMINDER, dt.date(2026, 12, 6))
    apply(NoticeKind.REMINDER, dt.date(2026, 12, 13))
    apply(NoticeKind.REMINDER, dt.date(2026, 12, 19))
    kinds = Notice.objects.filter(year_record=record, kind=NoticeKind.REMINDER)
    # One notice per lead time and clerk, never a second one for the same one.
    by_period = {p: kinds.filter(period=p).count() for p in ("D-14", "D-7", "D-1")}
    assert by_period == {"D-14": 2, "D-7": 2, "D-1": 2}
    assert kinds.filter(resolved_at__isnull=True).count() == 2  # D-1 only
    apply(NoticeKind.REMINDER, dt.date(2026, 12, 21))
    assert not kinds.filter(resolved_at__isnull=True).exists()


def test_submitted_report_gets_no_reminder_and_resolves_the_open_one(record):
    apply(NoticeKind.REMINDER, dt.date(2026, 12, 13))
    assert open_notices(record, NoticeKind.REMINDER)
    YearRecord.objects.filter(pk=record.pk).update(
        state=ReviewState.SUBMITTED, submitted_at=timezone.now()
    )
    assert apply(NoticeKind.REMINDER, dt.date(2026, 12, 14))[0] >= 2
    assert not open_notices(record, NoticeKind.REMINDER)


@override_settings(PORTFOLIO_REMINDER_DAYS=[3])
def test_reminder_lead_time_is_configurable(record):
    apply(NoticeKind.REMINDER, dt.date(2026, 12, 16))
    assert not open_notices(record, NoticeKind.REMINDER)
    apply(NoticeKind.REMINDER, dt.date(2026, 12, 17))
    assert {p for _, _, p in open_notices(record, NoticeKind.REMINDER)} == {"D-3"}


# --- Reports not submitted -----------------------------------------------------


def test_report_overdue_from_the_day_after_the_due_date(
    record, supervisor, district_supervisor, clerk_bazhou
):
    apply(NoticeKind.REPORT_OVERDUE, DUE - dt.timedelta(days=1))
    apply(NoticeKind.REPORT_OVERDUE, DUE)
    assert not open_notices(record, NoticeKind.REPORT_OVERDUE)
    apply(NoticeKind.REPORT_OVERDUE, DUE + dt.timedelta(days=1))
    got = recipients(record, NoticeKind.REPORT_OVERDUE)
    # Every supervisor covering it, all-city ones included; not the clerk, not
    # the supervisor of another district.
    assert {"t-supervisor", "supervisor"} <= got
    assert not got & {"t-supervisor-nj", "t-clerk-bazhou"}
    assert {p for _, _, p in open_notices(record)} == {"2026"}


def test_district_supervisor_hears_of_own_district(district_supervisor):
    record = YearRecordFactory(
        project=ProjectFactory(
            district=District.objects.get(code="nanjiang"),
            sector=Sector.objects.get(code="tourism"),
        ),
        year=2025,
        due_date=dt.date(2025, 12, 20),
    )
    apply(NoticeKind.REPORT_OVERDUE, dt.date(2026, 1, 5))
    assert "t-supervisor-nj" in recipients(record, NoticeKind.REPORT_OVERDUE)


def test_rerun_creates_nothing_and_the_constraint_forbids_a_second_notice(
    record, supervisor
):
    day = DUE + dt.timedelta(days=3)
    _, created = apply(NoticeKind.REPORT_OVERDUE, day)
    assert created > 0
    before = Notice.objects.count()
    assert apply(NoticeKind.REPORT_OVERDUE, day) == (0, 0)
    assert Notice.objects.count() == before
    first = Notice.objects.get(year_record=record, recipient=supervisor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(
            kind=first.kind,
            content_type=first.content_type,
            object_id=first.object_id,
            project=first.project,
            year_record=record,
            recipient=supervisor,
            period=first.period,
            opened_on=day,
        )


def test_submission_resolves_the_overdue_notice(record, supervisor):
    apply(NoticeKind.REPORT_OVERDUE, DUE + dt.timedelta(days=1))
    year_record_update(
        record=record, actor=admin_actor(), data={"phase": Phase.UNDER_CONSTRUCTION}
    )
    year_record_submit(record=record, actor=admin_actor())
    resolved, created = apply(NoticeKind.REPORT_OVERDUE, DUE + dt.timedelta(days=2))
    assert resolved >= 2 and created == 0
    notice = Notice.objects.get(year_record=record, recipient=supervisor)
    assert notice.resolved_at is not None


def test_reopened_report_is_a_new_lateness(record, supervisor):
    """Submitted late, approved, then reopened: overdue again, told again."""
    apply(NoticeKind.REPORT_OVERDUE, DUE + dt.timedelta(days=1))
    year_record_update(
        record=record, actor=admin_actor(), data={"phase": Phase.UNDER_CONSTRUCTION}
    )
    year_record_submit(record=record, actor=admin_actor())
    YearRecord.objects.filter(pk=record.pk).update(
        submitted_at=day_start(dt.date(2027, 1, 5)) + dt.timedelta(hours=9)
    )
    year_record_approve(record=record, actor=reviewer())
    apply(NoticeKind.REPORT_OVERDUE, dt.date(2027, 1, 8))
    assert not open_notices(record, NoticeKind.REPORT_OVERDUE)
    year_record_reopen(record=record, actor=reviewer(), reason="投资数据有误")
    apply(NoticeKind.REPORT_OVERDUE, dt.date(2027, 1, 9))
    assert {p for _, _, p in open_notices(record)} == {"2026/2027-01-05"}
    # The first lateness stays resolved, one notice per period and supervisor.
    mine = Notice.objects.filter(year_record=record, recipient=supervisor)
    assert sorted(mine.values_list("period", flat=True)) == ["2026", "2026/2027-01-05"]
    assert mine.get(period="2026").resolved_at is not None


def test_reopened_before_the_due_date_is_not_overdue(record):
    year_record_update(
        record=record, actor=admin_actor(), data={"phase": Phase.UNDER_CONSTRUCTION}
    )
    year_record_submit(record=record, actor=admin_actor())
    year_record_approve(record=record, actor=reviewer())
    year_record_reopen(record=record, actor=reviewer(), reason="补充进展")
    apply(NoticeKind.REPORT_OVERDUE, DUE)
    assert not open_notices(record, NoticeKind.REPORT_OVERDUE)
    apply(NoticeKind.REMINDER, DUE - dt.timedelta(days=1))
    assert open_notices(record, NoticeKind.REMINDER)


# --- Returned and not resubmitted ----------------------------------------------


def _return(record, on: dt.date):
    year_record_update(
        record=record, actor=admin_actor(), data={"phase": Phase.UNDER_CONSTRUCTION}
    )
    year_record_submit(record=record, actor=admin_actor())
    year_record_return(record=record, actor=reviewer(), reason="完成投资与进度不符")
    YearRecord.objects.filter(pk=record.pk).update(
        returned_at=day_start(on) + dt.timedelta(hours=16)
    )


@override_settings(PORTFOLIO_RETURNED_GRACE_DAYS=7)
def test_returned_before_due_keeps_m_days_after_the_return(record, supervisor):
    _return(record, dt.date(2026, 12, 18))
    apply(NoticeKind.RETURNED_OVERDUE, dt.date(2026, 12, 25))  # 18 + 7
    assert not open_notices(record)
    apply(NoticeKind.RETURNED_OVERDUE, dt.date(2026, 12, 26))
    assert open_notices(record, NoticeKind.RETURNED_OVERDUE) >= {
        ("returned_overdue", "t-supervisor", "2026-12-18")
    }
    # A returned report is not "never submitted": no report_overdue for it.
    apply(NoticeKind.REPORT_OVERDUE, dt.date(2026, 12, 26))
    assert not open_notices(record, NoticeKind.REPORT_OVERDUE)


@override_settings(PORTFOLIO_RETURNED_GRACE_DAYS=7)
def test_returned_early_is_still_due_on_the_due_date(record):
    _return(record, dt.date(2026, 11, 2))
    apply(NoticeKind.RETURNED_OVERDUE, DUE)
    assert not open_notices(record)
    apply(NoticeKind.RETURNED_OVERDUE, DUE + dt.timedelta(days=1))
    assert open_notices(record, NoticeKind.RETURNED_OVERDUE)


def test_resubmission_resolves_returned_overdue(record):
    _return(record, dt.date(2026, 12, 21))
    apply(NoticeKind.RETURNED_OVERDUE, dt.date(2027, 1, 15))
    assert open_notices(record, NoticeKind.RETURNED_OVERDUE)
    year_record_submit(record=record, actor=admin_actor())
    apply(NoticeKind.RETURNED_OVERDUE, dt.date(2027, 1, 16))
    assert not open_notices(record, NoticeKind.RETURNED_OVERDUE)


# --- Submitted and not reviewed --------------------------------------------------


@override_settings(PORTFOLIO_REVIEW_DAYS=10)
def test_review_overdue_after_k_days(record, supervisor):
    year_record_update(
        record=record, actor=admin_actor(), data={"phase": Phase.UNDER_CONSTRUCTION}
    )
    year_record_submit(record=record, actor=admin_actor())
    YearRecord.objects.filter(pk=record.pk).update(
        submitted_at=day_start(dt.date(2026, 12, 10)) + dt.timedelta(hours=23)
    )
    apply(NoticeKind.REVIEW_OVERDUE, dt.date(2026, 12, 20))
    assert not open_notices(record)
    apply(NoticeKind.REVIEW_OVERDUE, dt.date(2026, 12, 21))
    assert ("review_overdue", "t-supervisor", "2026-12-10") in open_notices(record)
    year_record_approve(record=record, actor=reviewer())
    apply(NoticeKind.REVIEW_OVERDUE, dt.date(2026, 12, 22))
    assert not open_notices(record)


# --- Projects: past the end year, late to start ---------------------------------


@pytest.mark.parametrize(
    ("phase", "late"),
    [
        (Phase.UNDER_CONSTRUCTION, True),
        (Phase.SUSPENDED, True),
        ("", True),
        (Phase.COMPLETED, False),
        (Phase.IN_OPERATION, False),
        (Phase.CANCELLED, False),
    ],
)
def test_schedule_overdue_from_new_year(supervisor, phase, late):
    project = ProjectFactory(start_year=2023, end_year=2025, phase=phase)
    apply(NoticeKind.SCHEDULE_OVERDUE, dt.date(2025, 12, 31))
    assert not open_notices(project)
    apply(NoticeKind.SCHEDULE_OVERDUE, dt.date(2026, 1, 1))
    expected = {("schedule_overdue", "t-supervisor", "2025")} if late else set()
    assert {n for n in open_notices(project) if n[1] == "t-supervisor"} == expected


def test_schedule_overdue_is_told_once_and_resolves_when_completed(supervisor):
    project = ProjectFactory(
        start_year=2023, end_year=2025, phase=Phase.UNDER_CONSTRUCTION
    )
    apply(NoticeKind.SCHEDULE_OVERDUE, dt.date(2026, 1, 1))
    apply(NoticeKind.SCHEDULE_OVERDUE, dt.date(2027, 1, 1))  # a year later
    assert Notice.objects.filter(project=project, recipient=supervisor).count() == 1
    Project.objects.filter(pk=project.pk).update(phase=Phase.COMPLETED)
    apply(NoticeKind.SCHEDULE_OVERDUE, dt.date(2027, 1, 2))
    assert not open_notices(project)


def test_late_start_when_the_start_year_comes(supervisor):
    project = ProjectFactory(start_year=2027, end_year=2028, phase=Phase.PREPARING)
    apply(NoticeKind.LATE_START, dt.date(2026, 12, 31))
    assert not open_notices(project)
    apply(NoticeKind.LATE_START, dt.date(2027, 1, 1))
    assert ("late_start", "t-supervisor", "2027") in open_notices(project)
    Project.objects.filter(pk=project.pk).update(phase=Phase.UNDER_CONSTRUCTION)
    apply(NoticeKind.LATE_START, dt.date(2027, 1, 2))
    assert not open_notices(project)


# --- Escalation --------------------------------------------------------------------


@override_settings(PORTFOLIO_ESCALATION_DAYS=14)
def test_escalation_after_e_days_to_administrators(record, supervisor, administrator):
    opened = DUE + dt.timedelta(days=1)
    apply(NoticeKind.REPORT_OVERDUE, opened)
    apply(NoticeKind.ESCALATION, opened + dt.timedelta(days=13))
    assert not open_notices(record, NoticeKind.ESCALATION)
    apply(NoticeKind.ESCALATION, opened + dt.timedelta(days=14))
    escalated = Notice.objects.filter(year_record=record, kind=NoticeKind.ESCALATION)
    names = set(escalated.values_list("recipient__username", flat=True))
    assert {"t-admin", "admin"} <= names  # the group and the superuser
    assert not names & {"t-supervisor", "supervisor"}
    # One per administrator, however many supervisors had the source notice.
    assert escalated.filter(recipient=administrator).count() == 1
    assert set(escalated.values_list("level", "period")) == {(2, "report_overdue/2026")}
    # The report comes in: the source resolves, and with it the escalation.
    YearRecord.objects.filter(pk=record.pk).update(
        state=ReviewState.SUBMITTED, submitted_at=timezone.now()
    )
    apply(NoticeKind.REPORT_OVERDUE, opened + dt.timedelta(days=15))
    apply(NoticeKind.ESCALATION, opened + dt.timedelta(days=15))
    assert not escalated.filter(resolved_at__isnull=True).exists()


def test_inactive_supervisors_are_not_told(record, supervisor):
    supervisor.is_active = False
    supervisor.save()
    apply(NoticeKind.REPORT_OVERDUE, DUE + dt.timedelta(days=1))
    assert "t-supervisor" not in recipients(record, NoticeKind.REPORT_OVERDUE)


# --- The whole scan ----------------------------------------------------------------


def test_scan_is_idempotent_and_reports_what_it_did(record, supervisor):
    day = DUE + dt.timedelta(days=1)
    first = deadlines_scan(today=day, open_year=False)
    assert first.created[NoticeKind.REPORT_OVERDUE] > 0
    again = deadlines_scan(today=day, open_year=False)
    assert again.total_created == 0
    assert any("年度报告逾期未报" in line for line in first.lines())


def test_scan_uses_a_fixed_number_of_queries(supervisor, clerk_bazhou):
    """Twenty times more late items, the same statements: the scan is set-based."""
    from django.db import connection

    def count(day):
        with CaptureQueriesContext(connection) as queries:
            deadlines_scan(today=day, open_year=False)
        return len(queries)

    count(dt.date(2026, 12, 12))  # warm the content-type cache
    few = count(dt.date(2026, 12, 13))
    projects = ProjectFactory.create_batch(40, start_year=2024, end_year=2025)
    for project in projects:
        for year in (2024, 2025, 2026):
            YearRecordFactory(project=project, year=year)
    many = count(dt.date(2026, 12, 14))
    created = Notice.objects.filter(project__in=projects).count()
    assert created >= 40 * 3
    assert many == few


# --- In-year progress updates and red lights (the dossier's items) -------------


def _file_update(record, period: str, actor, today: dt.date) -> None:
    from decimal import Decimal

    from projects.dossier.services import progress_update_submit

    progress_update_submit(
        year_record=record,
        period=period,
        actor=actor,
        data={"physical_progress": "主体施工", "percent_complete": Decimal("10")},
        today=today,
    )


def test_progress_rule_is_silent_until_monthly_dispatch_starts(record, supervisor):
    YearRecord.objects.filter(pk=record.pk).update(phase=Phase.UNDER_CONSTRUCTION)
    assert apply(NoticeKind.PROGRESS_OVERDUE, dt.date(2026, 6, 1)) == (0, 0)
    assert not open_notices(record, NoticeKind.PROGRESS_OVERDUE)


@override_settings(PROJECTS_PROGRESS_SINCE=dt.date(2026, 3, 1))
def test_march_update_missing_on_6_april_is_told_once(record, supervisor):
    YearRecord.objects.filter(pk=record.pk).update(phase=Phase.UNDER_CONSTRUCTION)
    record.refresh_from_db()
    apply(NoticeKind.PROGRESS_OVERDUE, dt.date(2026, 4, 5))
    assert not open_notices(record, NoticeKind.PROGRESS_OVERDUE)  # due today
    apply(NoticeKind.PROGRESS_OVERDUE, dt.date(2026, 4, 6))
    told = ("progress_overdue", "t-supervisor", "2026-03")
    assert told in open_notices(record, NoticeKind.PROGRESS_OVERDUE)
    count = Notice.objects.filter(kind=NoticeKind.PROGRESS_OVERDUE).count()
    apply(NoticeKind.PROGRESS_OVERDUE, dt.date(2026, 4, 6))  # a re-run
    apply(NoticeKind.PROGRESS_OVERDUE, dt.date(2026, 5, 2))  # still missing
    assert Notice.objects.filter(kind=NoticeKind.PROGRESS_OVERDUE).count() == count
    clerk = UserFactory.clerk(["bazhou-gov"], username="t-clerk-progress")
    _file_update(record, "2026-03", clerk, today=dt.date(2026, 5, 2))
    apply(NoticeKind.PROGRESS_OVERDUE, dt.date(2026, 5, 2))
    assert told not in open_notices(record, NoticeKind.PROGRESS_OVERDUE)


def test_a_project_turning_red_tells_its_supervisors(supervisor, district_supervisor):
    from projects.choices import HealthLight
    from projects.dossier.models import ProjectHealth

    project = ProjectFactory()  # 巴州区: not in 南江县's supervisor's scope
    turned = timezone.make_aware(dt.datetime(2026, 5, 3, 9, 0))
    health = ProjectHealth.objects.create(
        project=project,
        light=HealthLight.RED,
        reasons=["已过完工年仍未竣工"],
        computed_at=turned,
        light_since=turned,
    )
    apply(NoticeKind.HEALTH_RED, dt.date(2026, 5, 3))
    assert recipients(project, NoticeKind.HEALTH_RED) >= {"t-supervisor"}
    assert "t-supervisor-nj" not in recipients(project, NoticeKind.HEALTH_RED)
    assert {p for _, _, p in open_notices(project, NoticeKind.HEALTH_RED)} == {
        "2026-05-03"
    }
    count = Notice.objects.filter(kind=NoticeKind.HEALTH_RED).count()
    apply(NoticeKind.HEALTH_RED, dt.date(2026, 5, 4))
    assert Notice.objects.filter(kind=NoticeKind.HEALTH_RED).count() == count
    ProjectHealth.objects.filter(pk=health.pk).update(light=HealthLight.GREEN)
    apply(NoticeKind.HEALTH_RED, dt.date(2026, 5, 5))
    assert not open_notices(project, NoticeKind.HEALTH_RED)


def test_turning_red_opens_its_notice_at_once_and_the_scan_adds_none(
    supervisor, district_supervisor, django_capture_on_commit_callbacks
):
    """The alerts' receiver of ``project_turned_red``: told now, not next morning."""
    from decimal import Decimal

    from projects.choices import HealthLight
    from projects.dossier.choices import HealthRuleKind
    from projects.dossier.health import health_refresh
    from projects.dossier.models import HealthRule

    HealthRule.objects.all().delete()
    HealthRule.objects.create(
        kind=HealthRuleKind.PAST_END_YEAR, threshold=Decimal("0"), light="red"
    )
    project = ProjectFactory(  # 巴州区: not in 南江县's supervisor's scope
        start_year=2022, end_year=2026, phase=Phase.UNDER_CONSTRUCTION
    )
    with django_capture_on_commit_callbacks(execute=True):
        health_refresh(project_ids=[project.pk], today=dt.date(2026, 11, 28))
    assert not open_notices(project, NoticeKind.HEALTH_RED)  # a first light: green

    with django_capture_on_commit_callbacks(execute=True):
        report = health_refresh(project_ids=[project.pk], today=dt.date(2027, 1, 10))
    assert report.turned_red == [project.pk]
    told = open_notices(project, NoticeKind.HEALTH_RED)
    assert {name for _, name, _ in told} >= {"t-supervisor"}
    assert "t-supervisor-nj" not in {name for _, name, _ in told}
    assert {period for _, _, period in told} == {
        f"{timezone.localdate(project.health.light_since):%Y-%m-%d}"
    }
    assert project.health.light == HealthLight.RED
    # The daily scan's rule finds the notices there: it opens none more.
    count = Notice.objects.filter(kind=NoticeKind.HEALTH_RED).count()
    assert apply(NoticeKind.HEALTH_RED, timezone.localdate()) == (0, 0)
    assert Notice.objects.filter(kind=NoticeKind.HEALTH_RED).count() == count


def test_a_failed_red_notice_is_logged_not_raised(monkeypatch, caplog):
    """The light is committed already; the daily scan opens the notice anyway."""
    from django.db import DatabaseError

    from projects.alerts import receivers

    def broken(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(receivers, "health_red_notices_open", broken)
    receivers.notify_turned_red(sender=None, project_ids=[1, 2])
    assert "red-light notices for [1, 2] not opened" in caplog.text


@override_settings(PROJECTS_PROGRESS_SINCE=dt.date(2026, 3, 1))
def test_digest_describes_missing_updates_and_red_lights(record, supervisor):
    from projects.alerts.delivery import digest_content
    from projects.choices import HealthLight
    from projects.dossier.models import ProjectHealth

    YearRecord.objects.filter(pk=record.pk).update(phase=Phase.UNDER_CONSTRUCTION)
    turned = timezone.make_aware(dt.datetime(2026, 4, 2, 8, 0))
    ProjectHealth.objects.create(
        project=record.project,
        light=HealthLight.RED,
        reasons=["3月进度更新逾期4天"],
        computed_at=turned,
        light_since=turned,
    )
    today = dt.date(2026, 4, 9)
    apply(NoticeKind.PROGRESS_OVERDUE, today)
    apply(NoticeKind.HEALTH_RED, today)
    from projects.alerts.delivery import _notices_for_rendering

    notices = _notices_for_rendering(
        Notice.objects.filter(
            recipient=supervisor,
            project=record.project,
            kind__in=[NoticeKind.PROGRESS_OVERDUE, NoticeKind.HEALTH_RED],
        )
    )
    with CaptureQueriesContext(connection) as rendering:
        content = digest_content(notices, today=today)
    assert rendering.captured_queries == []  # all loaded with the notices
    texts = {
        group.label: [item.text for item in group.items] for group in content.groups
    }
    assert texts["进度更新逾期未报"] == [
        "2026-03 进度更新应于 2026-04-05 前报送，至今未报，已逾期 4 天"
    ]
    assert texts["项目亮红灯"] == ["2026-04-02 起亮红灯：3月进度更新逾期4天"]
