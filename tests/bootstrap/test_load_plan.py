"""load_plan: everything loaded once, idempotent, clerks' edits kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from indicators.models import Indicator, IndicatorTarget
from portfolio.models import AuditEntry, Cluster, District, Sector
from projects.bootstrap.plan_loader import plan_load
from projects.models import Project, YearRecord
from projects.services import project_update, year_record_update
from tests.factories import admin_actor

pytestmark = pytest.mark.django_db


def database_state():
    return {
        "projects": list(Project.objects.order_by("pk").values()),
        "records": list(YearRecord.objects.order_by("pk").values()),
        "clusters": list(Cluster.objects.order_by("pk").values()),
        "districts": list(District.objects.order_by("pk").values()),
        "sectors": list(Sector.objects.order_by("pk").values()),
        "targets": list(IndicatorTarget.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
    }


def test_everything_is_loaded():
    assert Project.objects.count() == 135
    assert Cluster.objects.count() == 21
    assert Sector.objects.count() == 14
    assert District.objects.count() == 6
    assert Indicator.objects.count() >= 5
    assert set(Project.objects.values_list("table", flat=True)) == set(range(1, 8))


def test_two_districts_cluster():
    cluster = Cluster.objects.get(number=9)
    assert sorted(cluster.districts.values_list("name", flat=True)) == [
        "巴中经开区",
        "巴州区",
    ]
    assert cluster.planned_output == Decimal("100")


def test_periods_outside_the_plan_and_single_year():
    early = Project.objects.get(code="t1-005")
    assert (early.period, early.start_year, early.end_year) == ("2020-2028", 2020, 2028)
    single = Project.objects.get(code="t1-007")
    assert (single.period, single.start_year, single.end_year) == ("2021", 2021, 2021)
    # Tracked from 2021 (the plan's first year), not from 2020.
    assert list(early.year_records.values_list("year", flat=True)) == list(
        range(2021, 2027)
    )
    # A single-year project not reported finished stays tracked after its year.
    assert single.year_records.filter(year=2021).exists()
    assert single.year_records.filter(year=2026).exists()


def test_second_run_changes_nothing():
    before = database_state()
    out = StringIO()
    call_command("load_plan", "--today", "2026-11-28", stdout=out)
    assert "无变化" in out.getvalue()
    assert database_state() == before


def test_clerk_edits_survive_a_reload(clerk_bazhou):
    project = Project.objects.get(code="t1-001")
    # The plan's own fields change by an adjustment (or an administrator).
    project_update(
        project=project, actor=admin_actor(), data={"content": "填报员修正后的内容"}
    )
    record = project.year_records.get(year=2026)
    year_record_update(
        record=record,
        actor=clerk_bazhou,
        data={"actual_investment": Decimal("1200.50"), "progress": "主体完工"},
    )
    report = plan_load(today=dt.date(2026, 11, 28))
    project.refresh_from_db()
    record.refresh_from_db()
    assert project.content == "填报员修正后的内容"
    assert record.actual_investment == Decimal("1200.50")
    assert record.progress == "主体完工"
    assert "t1-001 content" in report.kept
    assert not report.changed


def test_a_corrected_fixture_refreshes_untouched_fields(monkeypatch):
    """A correction to the plan's data reaches rows nobody has edited."""
    from projects.bootstrap import plan_loader

    original = plan_loader.load_json

    def corrected(path):
        data = original(path)
        if "projects" in data:
            data["projects"][1]["content"] = data["projects"][1]["content"] + "（更正）"
        return data

    monkeypatch.setattr(plan_loader, "load_json", corrected)
    report = plan_load(today=dt.date(2026, 11, 28))
    assert report.updated == {"项目": 1}
    assert Project.objects.get(code="t1-002").content.endswith("（更正）")
