"""The traffic light: each rule at its threshold, reasons, refresh, red notices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import AuditEntry
from projects.choices import HealthLight, Phase
from projects.dossier.choices import HealthRuleKind, ProblemState
from projects.dossier.health import (
    health_for,
    health_refresh,
    health_rule_update,
    project_turned_red,
)
from projects.dossier.models import CoordinationProblem, HealthRule, ProjectHealth
from tests.factories import ProjectFactory, YearRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def reporting_since_march(settings):
    settings.PROJECTS_PROGRESS_SINCE = dt.date(2026, 3, 1)


def only_rule(kind, threshold, light):
    HealthRule.objects.all().delete()
    return HealthRule.objects.create(
        kind=kind, threshold=Decimal(threshold), light=light
    )


def investment(actual):
    """Plan 1200 万元 for 2026; on 6 July six months are due: 600 expected."""

    def arrange():
        project = ProjectFactory(start_year=2025, end_year=2027, phase="")
        YearRecordFactory(
            project=project,
            year=2026,
            phase=Phase.UNDER_CONSTRUCTION,
            planned_investment=Decimal("1200"),
            actual_investment=Decimal(actual),
        )
        return project

    return arrange


def update_missing():
    """March's update (due 5 April) is missing."""
    project = ProjectFactory(start_year=2025, end_year=2027)
    YearRecordFactory(project=project, year=2026, phase=Phase.UNDER_CONSTRUCTION)
    return project


def problem_open_since(days, today):
    def arrange():
        project = ProjectFactory(start_year=2025, end_year=2027)
        CoordinationProblem.objects.create(
            project=project,
            description="用地未落实",
            owner_department=project.department,
            due_date=today,
            raised_on=today - dt.timedelta(days=days),
            state=ProblemState.HANDLING,
        )
        return project

    return arrange


def ending(end_year):
    def arrange():
        return ProjectFactory(
            start_year=2022,
            end_year=end_year,
            period=f"2022-{end_year}",
            phase=Phase.UNDER_CONSTRUCTION,
        )

    return arrange


JULY_6 = dt.date(2026, 7, 6)
NOV_28 = dt.date(2026, 11, 28)

# (rule kind, threshold, light, today, arrange, expected light, expected reasons)
CASES = [
    pytest.param(
        HealthRuleKind.INVESTMENT_BEHIND,
        "20",
        HealthLight.YELLOW,
        JULY_6,
        investment("480"),
        HealthLight.GREEN,
        [],
        id="investment-20pct-behind-at-threshold",
    ),
    pytest.param(
        HealthRuleKind.INVESTMENT_BEHIND,
        "20",
        HealthLight.YELLOW,
        JULY_6,
        investment("479.40"),
        HealthLight.YELLOW,
        [
            "本年累计完成投资 479.4 万元，按序时进度（6 个月）应完成 600 万元，"
            "落后 20.1%（规则：本年累计投资落后序时进度超过 20% → 黄灯）"
        ],
        id="investment-over-threshold",
    ),
    pytest.param(
        HealthRuleKind.UPDATE_OVERDUE,
        "10",
        HealthLight.RED,
        dt.date(2026, 4, 15),
        update_missing,
        HealthLight.GREEN,
        [],
        id="update-10-days-overdue-at-threshold",
    ),
    pytest.param(
        HealthRuleKind.UPDATE_OVERDUE,
        "10",
        HealthLight.RED,
        dt.date(2026, 4, 16),
        update_missing,
        HealthLight.RED,
        ["2026-03 进度更新逾期 11 天未报（规则：进度更新逾期超过 10 天 → 红灯）"],
        id="update-over-threshold",
    ),
    pytest.param(
        HealthRuleKind.PROBLEM_OPEN,
        "30",
        HealthLight.YELLOW,
        NOV_28,
        problem_open_since(30, NOV_28),
        HealthLight.GREEN,
        [],
        id="problem-open-30-days-at-threshold",
    ),
    pytest.param(
        HealthRuleKind.PROBLEM_OPEN,
        "30",
        HealthLight.YELLOW,
        NOV_28,
        problem_open_since(31, NOV_28),
        HealthLight.YELLOW,
        ["1 个协调问题未解决，最久已 31 天（规则：协调问题未解决超过 30 天 → 黄灯）"],
        id="problem-over-threshold",
    ),
    pytest.param(
        HealthRuleKind.PAST_END_YEAR,
        "0",
        HealthLight.RED,
        NOV_28,
        ending(2026),
        HealthLight.GREEN,
        [],
        id="in-its-end-year-at-threshold",
    ),
    pytest.param(
        HealthRuleKind.PAST_END_YEAR,
        "0",
        HealthLight.RED,
        NOV_28,
        ending(2025),
        HealthLight.RED,
        [
            "计划 2025 年完工，已超期 1 年仍未完成（当前阶段：在建（续建））"
            "（规则：完工年后仍未完成超过 0 年 → 红灯）"
        ],
        id="past-end-year",
    ),
    pytest.param(
        HealthRuleKind.PAST_END_YEAR,
        "1",
        HealthLight.YELLOW,
        NOV_28,
        ending(2025),
        HealthLight.GREEN,
        [],
        id="one-year-late-at-threshold-1",
    ),
]


@pytest.mark.parametrize(
    ("kind", "threshold", "light", "today", "arrange", "expected", "reasons"), CASES
)
def test_each_rule_at_its_threshold(
    kind, threshold, light, today, arrange, expected, reasons
):
    only_rule(kind, threshold, light)
    project = arrange()
    health = health_for([project], today=today)[project.pk]
    assert health.light == expected
    assert list(health.reasons) == reasons


def test_finished_project_is_not_late():
    only_rule(HealthRuleKind.PAST_END_YEAR, "0", HealthLight.RED)
    project = ProjectFactory(start_year=2022, end_year=2024, phase=Phase.COMPLETED)
    assert health_for([project], today=NOV_28)[project.pk].light == HealthLight.GREEN


def test_inactive_rule_does_not_fire():
    rule = only_rule(HealthRuleKind.PAST_END_YEAR, "0", HealthLight.RED)
    rule.active = False
    rule.save()
    project = ending(2024)()
    assert health_for([project], today=NOV_28)[project.pk].light == HealthLight.GREEN


def test_worst_light_wins_and_one_reason_per_rule_kind():
    """Default rules: yellow and red both fire for the same measure: red is said."""
    project = ProjectFactory(
        start_year=2022, end_year=2024, period="2022-2024", phase=Phase.PREPARING
    )
    YearRecordFactory(
        project=project,
        year=2026,
        phase=Phase.PREPARING,
        planned_investment=Decimal("1200"),
        actual_investment=Decimal("0"),
    )
    health = health_for([project], today=NOV_28)[project.pk]
    assert health.light == HealthLight.RED
    texts = "\n".join(health.reasons)
    # Investment 100 % behind: the red rule (>50 %) is said, not the yellow (>20 %).
    assert "本年累计投资落后序时进度超过 50% → 红灯" in texts
    assert "超过 20% → 黄灯" not in texts
    # Updates since March missing (due 5 April … 5 November): the oldest is named.
    assert "2026-03 进度更新逾期 237 天未报（共 8 期未报）" in texts
    assert "计划 2024 年完工，已超期 2 年" in texts
    assert len(health.reasons) == 3


def lights_queries(projects, today):
    with CaptureQueriesContext(connection) as ctx:
        result = health_for(
            type(projects[0]).objects.filter(pk__in=[p.pk for p in projects]),
            today=today,
        )
    assert len(result) == len(projects)
    return len(ctx.captured_queries)


def busy_project():
    project = ProjectFactory(start_year=2022, end_year=2025, period="2022-2025")
    YearRecordFactory(
        project=project,
        year=2026,
        phase=Phase.UNDER_CONSTRUCTION,
        planned_investment=Decimal("100"),
    )
    CoordinationProblem.objects.create(
        project=project,
        description="资金缺口",
        owner_department=project.department,
        due_date=NOV_28,
        raised_on=dt.date(2026, 1, 1),
    )
    return project


def test_lights_for_a_queryset_take_constant_queries():
    one = lights_queries([busy_project()], NOV_28)
    many = lights_queries([busy_project() for _ in range(12)], NOV_28)
    assert one == many <= 6


@pytest.fixture
def red_signals():
    received = []

    def receiver(sender, project_ids, **kwargs):
        received.append(list(project_ids))

    project_turned_red.connect(receiver)
    yield received
    project_turned_red.disconnect(receiver)


def test_turning_red_is_recorded_and_signalled_once(
    red_signals, django_capture_on_commit_callbacks
):
    only_rule(HealthRuleKind.PAST_END_YEAR, "0", HealthLight.RED)
    ending_now = ending(2026)()
    later = ending(2027)()
    ids = [ending_now.pk, later.pk]
    with django_capture_on_commit_callbacks(execute=True):
        first = health_refresh(project_ids=ids, today=NOV_28)
    # A first light is a starting state: recorded, not signalled.
    assert first.changed == {ending_now.pk: ("", "green"), later.pk: ("", "green")}
    assert first.turned_red == [] and red_signals == []

    # The new year comes and the project is not finished: it turns red.
    january = dt.date(2027, 1, 10)
    with django_capture_on_commit_callbacks(execute=True):
        report = health_refresh(project_ids=ids, today=january)
    assert report.turned_red == [ending_now.pk]
    assert red_signals == [[ending_now.pk]]
    stored = ProjectHealth.objects.get(project=ending_now)
    assert stored.light == HealthLight.RED
    assert stored.reasons[0].startswith("计划 2026 年完工，已超期 1 年")
    entry = AuditEntry.objects.filter(
        content_type__model="project",
        object_id=str(ending_now.pk),
        changes__has_key="health",
    ).latest("id")
    assert entry.changes["health"] == ["green", "red"]
    assert "计划 2026 年完工" in entry.reason
    assert ProjectHealth.objects.get(project=later).light == HealthLight.GREEN

    # A second run the same day: nothing changes, nothing is signalled.
    with django_capture_on_commit_callbacks(execute=True):
        again = health_refresh(project_ids=ids, today=january)
    assert again.changed == {} and again.turned_red == []
    assert red_signals == [[ending_now.pk]]
    assert (
        AuditEntry.objects.filter(
            object_id__in=[str(i) for i in ids], changes__has_key="health"
        ).count()
        == 3
    )


def test_supervisor_changes_a_rule_with_history(supervisor, clerk_bazhou):
    rule = HealthRule.objects.get(
        kind=HealthRuleKind.UPDATE_OVERDUE, light=HealthLight.RED
    )
    with pytest.raises(PermissionDenied):
        health_rule_update(rule=rule, actor=clerk_bazhou, data={"threshold": 5})
    rule = health_rule_update(
        rule=rule, actor=supervisor, data={"threshold": Decimal("15")}, reason="从严"
    )
    assert rule.text == "进度更新逾期超过 15 天 → 红灯"
    entry = AuditEntry.objects.filter(
        content_type__model="healthrule", object_id=str(rule.pk)
    ).get()
    assert entry.changes == {"threshold": ["30", "15"]}


def test_refresh_health_command():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("refresh_health", "--today", "2026-11-28", stdout=out)
    assert "已计算" in out.getvalue()
    assert ProjectHealth.objects.count() >= 135
    again = StringIO()
    call_command("refresh_health", "--today", "2026-11-28", stdout=again)
    assert "灯色变化 0 个；新变红 0 个" in again.getvalue()
