"""The dashboard's figures against counts computed here, independently, in Python."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.choices import TargetKind
from indicators.models import Indicator
from portfolio.choices import UNSUBMITTED_STATES, ReviewState
from projects.choices import FINISHED_PHASES, Phase
from projects.models import Project, YearRecord
from projects.reporting.dashboard import (
    OVERDUE_LIMIT,
    dashboard_build,
    dashboard_summary,
)
from tests.factories import ProjectFactory, YearRecordFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 28)
YEAR = 2026


@pytest.fixture
def varied(db):
    """A portfolio in many states (set directly: this is the test's own data)."""
    Project.objects.filter(table__number=1).update(phase=Phase.UNDER_CONSTRUCTION)
    Project.objects.filter(table__number=2).update(phase=Phase.COMPLETED)
    Project.objects.filter(table__number=3, number__lte=20).update(
        phase=Phase.IN_OPERATION
    )
    Project.objects.filter(table__number=4).update(phase=Phase.PREPARING)
    Project.objects.filter(table__number=5).update(phase=Phase.SUSPENDED)
    Project.objects.filter(table__number=7, number__lte=3).update(phase=Phase.CANCELLED)
    this_year = YearRecord.objects.filter(year=YEAR)
    this_year.filter(project__table__number=1).update(state=ReviewState.SUBMITTED)
    this_year.filter(project__table__number=2).update(state=ReviewState.APPROVED)
    this_year.filter(project__table__number=3, project__number__lte=9).update(
        state=ReviewState.RETURNED
    )
    for record in YearRecord.objects.filter(year=YEAR, project__table__number__lte=3):
        record.planned_investment = Decimal(record.project.number * 100)
        record.actual_investment = Decimal(record.project.number) * Decimal("37.5")
        record.save(update_fields=["planned_investment", "actual_investment"])
    # Last year's reports of table 6 were handed in: no longer overdue.
    YearRecord.objects.filter(year=2025, project__table__number=6).update(
        state=ReviewState.APPROVED
    )
    YearRecord.objects.filter(year=2024, project__table__number=7).update(
        state=ReviewState.RETURNED
    )


def expected_matrix(projects, dimension: str) -> dict[tuple[str, str], int]:
    counts: Counter = Counter()
    for project in projects:
        counts[getattr(project, dimension).name, project.phase] += 1
    return dict(counts)


def matrix_as_dict(matrix) -> dict[tuple[str, str], int]:
    found = {}
    for row in matrix.rows:
        for (phase, _), cell in zip(matrix.columns, row.cells, strict=True):
            if cell.value:
                found[row.label, phase] = cell.value
        assert row.total.value == sum(c.value for c in row.cells)
    return found


def test_phase_by_sector_and_by_district(varied, supervisor):
    dashboard = dashboard_build(supervisor, year=YEAR, today=TODAY)
    projects = list(Project.objects.select_related("sector", "district"))
    assert matrix_as_dict(dashboard.phase_by_sector) == expected_matrix(
        projects, "sector"
    )
    assert matrix_as_dict(dashboard.phase_by_district) == expected_matrix(
        projects, "district"
    )
    assert dashboard.phase_by_sector.total.value == len(projects) == 135
    assert dashboard.phase_by_district.total.value == 135
    phases = Counter(p.phase for p in projects)
    totals = dict(
        zip(
            [code for code, _ in dashboard.phase_by_district.columns],
            [c.value for c in dashboard.phase_by_district.column_totals],
            strict=True,
        )
    )
    assert {k: v for k, v in totals.items() if v} == dict(phases)
    # Rows in the plan's order of districts.
    assert [r.label for r in dashboard.phase_by_district.rows] == [
        "巴州区",
        "恩阳区",
        "巴中经开区",
        "南江县",
        "通江县",
        "平昌县",
    ]


def test_reports_by_state(varied, supervisor):
    dashboard = dashboard_build(supervisor, year=YEAR, today=TODAY)
    expected = Counter(
        YearRecord.objects.filter(year=YEAR).values_list("state", flat=True)
    )
    found = {item.state: item.figure.value for item in dashboard.reports_by_state}
    assert found == {str(state): expected.get(state, 0) for state in ReviewState}
    assert dashboard.reports_total.value == sum(expected.values()) == 135


def test_overdue_counts_and_most_urgent_first(varied, supervisor):
    dashboard = dashboard_build(supervisor, year=YEAR, today=TODAY)
    records = list(YearRecord.objects.all())
    late_reports = [
        r for r in records if r.state in UNSUBMITTED_STATES and r.due_date < TODAY
    ]
    projects = list(Project.objects.all())
    past_end = [
        p
        for p in projects
        if p.end_year < TODAY.year and p.phase not in FINISHED_PHASES
    ]
    late_start = [
        p
        for p in projects
        if p.start_year <= TODAY.year
        and p.phase == Phase.PREPARING
        and p not in past_end
    ]
    counts = {k: f.value for k, f in dashboard.overdue_counts.items()}
    assert counts == {
        "report": len(late_reports),
        "past_end": len(past_end),
        "late_start": len(late_start),
    }
    assert len(late_reports) > OVERDUE_LIMIT
    assert dashboard.overdue_total == len(late_reports) + len(past_end) + len(
        late_start
    )
    days = [item.days for item in dashboard.overdue]
    assert len(days) == OVERDUE_LIMIT
    assert days == sorted(days, reverse=True)
    oldest = min(r.due_date for r in late_reports)
    assert dashboard.overdue[0].since == oldest
    assert dashboard.overdue[0].days == (TODAY - oldest).days


def test_investment_by_sector(varied, supervisor):
    dashboard = dashboard_build(supervisor, year=YEAR, today=TODAY)
    planned: dict[str, Decimal] = defaultdict(Decimal)
    actual: dict[str, Decimal] = defaultdict(Decimal)
    for record in YearRecord.objects.filter(year=YEAR).select_related(
        "project__sector"
    ):
        planned[record.project.sector.name] += record.planned_investment or 0
        actual[record.project.sector.name] += record.actual_investment or 0
    assert {r.label: (r.planned, r.actual) for r in dashboard.investment} == {
        name: (planned[name], actual[name]) for name in planned
    }
    assert dashboard.investment_total.planned == sum(planned.values())
    assert dashboard.investment_total.actual == sum(actual.values())
    tourism = next(r for r in dashboard.investment if r.label == "旅游")
    assert tourism.ratio == Decimal("37.5")


def test_clerk_sees_only_their_scope(varied, clerk_bazhou):
    dashboard = dashboard_build(clerk_bazhou, year=YEAR, today=TODAY)
    bazhou = list(
        Project.objects.filter(district__code="bazhou").select_related("sector")
    )
    assert dashboard.projects.value == len(bazhou) == 40
    assert [r.label for r in dashboard.phase_by_district.rows] == ["巴州区"]
    assert matrix_as_dict(dashboard.phase_by_sector) == expected_matrix(
        bazhou, "sector"
    )
    assert dashboard.reports_total.value == 40
    assert not dashboard.everything


def test_indicator_targets_of_column_7(supervisor):
    dashboard = dashboard_build(supervisor, year=YEAR, today=TODAY)
    share = next(r for r in dashboard.indicators if r.name == "服务业增加值占GDP的比重")
    assert [(y, text) for y, _, text in share.targets] == [
        (2021, "51"),
        (2022, "51.5"),
        (2023, "52"),
        (2024, "52.5"),
        (2025, "53"),
    ]
    column7 = [
        i
        for i in Indicator.objects.all()
        if i.targets.filter(
            kind__in=[TargetKind.YEARLY, TargetKind.ANNUAL_AVERAGE_GROWTH]
        ).exists()
    ]
    assert sorted(r.code for r in dashboard.indicators) == sorted(
        i.code for i in column7
    )
    growth_only = [r for r in dashboard.indicators if not r.targets]
    assert growth_only and all("年均增长" in r.growth_text for r in growth_only)
    assert all(len(r.year_texts) == 5 for r in dashboard.indicators)


def test_query_count_does_not_grow_with_the_portfolio(supervisor):
    dashboard_build(supervisor, year=YEAR, today=TODAY)  # warm the user's scope
    with CaptureQueriesContext(connection) as before:
        dashboard_build(supervisor, year=YEAR, today=TODAY)
    for _ in range(15):
        YearRecordFactory(project=ProjectFactory(), year=YEAR, due_date=TODAY)
    with CaptureQueriesContext(connection) as after:
        grown = dashboard_build(supervisor, year=YEAR, today=TODAY)
    assert grown.projects.value == 150
    assert len(after.captured_queries) == len(before.captured_queries) <= 30


def result_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context_data["cl"].result_count


def test_each_figure_links_to_the_list_behind_it(varied, client, supervisor):
    client.force_login(supervisor)
    dashboard = dashboard_build(supervisor, year=YEAR, today=TODAY)
    matrix = dashboard.phase_by_district
    for row in matrix.rows[:2]:
        assert result_count(client, row.total.url) == row.total.value
        for cell in row.cells:
            assert result_count(client, cell.url) == cell.value, cell.url
    for cell in matrix.column_totals:
        assert result_count(client, cell.url) == cell.value, cell.url
    for row in dashboard.phase_by_sector.rows[:3]:
        assert result_count(client, row.total.url) == row.total.value
    for item in dashboard.reports_by_state:
        assert result_count(client, item.figure.url) == item.figure.value
    for row in dashboard.investment:
        assert result_count(client, row.url) == row.records
    for figure in dashboard.overdue_counts.values():
        # The report list's due-date filter is as of the real today.
        assert result_count(client, figure.url) >= figure.value


def test_admin_index_shows_the_dashboard(varied, client, supervisor):
    client.force_login(supervisor)
    html = client.get(reverse("admin:index")).content.decode()
    assert 'data-chart="phase-by-sector"' in html
    assert 'data-chart="phase-by-district" data-total="135"' in html
    assert 'data-chart="reports-by-state" data-total="135"' in html
    assert "逾期事项（最紧急在前）" in html
    assert "考核指标（专栏7）" in html
    assert "<script" not in html.split('id="dashboard"')[1].split("<!-- /dashboard")[0]


def test_dashboard_api(varied, client, supervisor):
    assert client.get("/api/v1/dashboard/").status_code == 401
    client.force_login(supervisor)
    response = client.get("/api/v1/dashboard/", {"year": YEAR})
    assert response.status_code == 200
    data = response.json()
    today = dt.date.today()
    expected = dashboard_summary(dashboard_build(supervisor, year=YEAR, today=today))
    assert data["year"] == YEAR
    assert data["projects"] == 135
    assert data["phase_by_district"]["total"] == 135
    assert data["reports_by_state"] == expected["reports_by_state"]
    assert (
        data["reports_by_state"]["submitted"]
        == Project.objects.filter(table__number=1).count()
    )
    assert data["investment_total"] == expected["investment_total"]
    assert client.get("/api/v1/dashboard/", {"year": "abc"}).status_code == 400


def test_clerk_index_shows_their_scope(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    html = client.get(reverse("admin:index")).content.decode()
    bazhou = Project.objects.filter(district__code="bazhou").count()
    assert "（本单位负责范围）" in html
    assert f'data-chart="phase-by-district" data-total="{bazhou}"' in html
    assert 'data-label="南江县"' not in html


def test_lights_counted_and_linked(client, supervisor):
    from django.utils import timezone

    from projects.choices import HealthLight
    from projects.dossier.models import ProjectHealth

    now = timezone.now()
    wanted = {"t1-001": HealthLight.RED, "t1-002": HealthLight.RED}
    wanted |= {"t1-003": HealthLight.YELLOW, "t2-001": HealthLight.GREEN}
    for code, light in wanted.items():
        ProjectHealth.objects.create(
            project=Project.objects.get(code=code),
            light=light,
            reasons=[],
            computed_at=now,
            light_since=now,
        )
    dashboard = dashboard_build(supervisor, year=YEAR, today=TODAY)
    counts = {item.state: item.figure.value for item in dashboard.lights}
    expected = Counter(str(light) for light in wanted.values())
    assert counts == {
        "red": expected["red"],
        "yellow": expected["yellow"],
        "green": expected["green"],
        "none": Project.objects.count() - len(wanted),
    }
    assert dashboard_summary(dashboard)["lights"] == counts
    client.force_login(supervisor)
    for item in dashboard.lights:
        assert result_count(client, item.figure.url) == item.figure.value


def test_dashboard_api_answers_a_token_within_its_scope(varied, bazhou_reader, reader):
    """A system's token gets the dashboard of its own scope (it was 403 before)."""
    mine = bazhou_reader.get("/api/v1/dashboard/", {"year": YEAR})
    assert mine.status_code == 200, mine.json()
    assert mine.json()["scope"] == "departments"
    bazhou = Project.objects.filter(district__code="bazhou").count()
    assert mine.json()["phase_by_district"]["total"] == bazhou
    everything = reader.get("/api/v1/dashboard/", {"year": YEAR}).json()
    assert everything["scope"] == "all"
    assert everything["projects"] == Project.objects.count()
    # The phase not reported yet has a key of its own, never "".
    assert "not_reported" in everything["phase_by_sector"]["totals"]
    assert "" not in everything["phase_by_sector"]["totals"]
