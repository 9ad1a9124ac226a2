"""load_plan and the indicators: idempotent, corrections kept, legacy rows enriched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from indicators import loader
from indicators.models import Indicator, IndicatorTarget
from portfolio.models import Department
from projects.bootstrap.plan_loader import plan_load

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 28)


def test_second_load_changes_no_indicator():
    before = list(Indicator.objects.order_by("pk").values())
    targets = list(IndicatorTarget.objects.order_by("pk").values())
    report = plan_load(today=DAY)
    assert not report.changed
    assert list(Indicator.objects.order_by("pk").values()) == before
    assert list(IndicatorTarget.objects.order_by("pk").values()) == targets


def test_an_administrators_correction_survives(monkeypatch):
    """A baseline entered and a department reassigned are kept; the rest refreshed."""
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    indicator.baseline_year = 2020
    indicator.baseline_value = Decimal("19.6")
    indicator.department = Department.objects.get(code="development-reform-commission")
    indicator.save()

    original = loader.load_json

    def corrected(path):
        data = original(path)
        if path == loader.INDICATORS_FIXTURE:
            for row in data["indicators"]:
                if row["code"] == "logistics-cost-ratio":
                    row["department"] = "housing-bureau"
                    row["name"] = row["name"] + "（更正）"
        return data

    monkeypatch.setattr(loader, "load_json", corrected)
    report = plan_load(today=DAY)
    indicator.refresh_from_db()
    assert indicator.baseline_value == Decimal("19.6")
    assert indicator.department.code == "development-reform-commission"
    assert indicator.name.endswith("（更正）")
    assert "logistics-cost-ratio department" in report.kept
    assert report.updated == {"考核指标": 1}


def test_rows_of_the_first_loader_are_enriched():
    """Indicators loaded before this app knew departments get them on reload."""
    indicator = Indicator.objects.get(code="service-tax-growth")
    Indicator.objects.filter(pk=indicator.pk).update(
        seed={}, department=None, measure="level", quantity_unit=""
    )
    IndicatorTarget.objects.filter(indicator=indicator).update(
        seed={}, tolerance=None, source_text=""
    )
    plan_load(today=DAY)
    indicator.refresh_from_db()
    assert indicator.department.code == "development-reform-commission"
    assert indicator.measure == "rate"
    [target] = indicator.targets.all()
    assert target.tolerance == Decimal("0.5")
    assert target.source_text.startswith("服务业税收增速")
    assert not plan_load(today=DAY).changed


def test_missing_targets_are_added_and_never_deleted():
    indicator = Indicator.objects.get(code="retail-sales-growth")
    indicator.targets.filter(text__endswith="左右").delete()
    extra = IndicatorTarget.objects.create(
        indicator=indicator, kind="at_least", value=1, text="管理员补充", source="x"
    )
    report = plan_load(today=DAY)
    assert report.created == {"指标目标": 1}
    assert indicator.targets.filter(text__endswith="左右").count() == 1
    assert IndicatorTarget.objects.filter(pk=extra.pk).exists()


def test_column7_must_agree_with_plan_json(monkeypatch):
    from projects.bootstrap import plan_loader

    original = plan_loader.load_json

    def altered(path):
        data = original(path)
        if "indicators" in data and "projects" in data:
            data["indicators"][0]["yearly"]["2021"] = "7"
        return data

    monkeypatch.setattr(plan_loader, "load_json", altered)
    with pytest.raises(ValueError, match="service-value-added-growth"):
        plan_load(today=DAY)


def test_clerks_and_supervisors_may_report_and_review():
    clerk = Group.objects.get(name="填报员")
    supervisor = Group.objects.get(name="督查员")
    assert clerk.permissions.filter(codename="add_indicatorvalue").exists()
    assert clerk.permissions.filter(codename="change_indicatorvalue").exists()
    assert supervisor.permissions.filter(codename="change_indicatorvalue").exists()
    assert not supervisor.permissions.filter(codename="add_indicatorvalue").exists()
