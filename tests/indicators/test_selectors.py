"""Selectors for the API and the alerts: progress per year, due dates, alerts."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from indicators import services
from indicators.choices import ProgressStatus
from indicators.models import Indicator
from indicators.selectors import (
    default_progress_year,
    indicator_progress_rows,
    indicators_behind_or_unreported,
    indicators_queryset,
    progress_by_indicator,
    value_due_date,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
REPORT = {"source": "统计公报", "reported_on": dt.date(2024, 3, 1)}


@pytest.fixture
def clerk_commerce(db):
    return UserFactory.clerk(["commerce-bureau"], username="t-clerk-commerce")


def submit(indicator, year, actor, **figures):
    value = services.indicator_value_create(
        indicator=indicator, year=year, actor=actor, data={**REPORT, **figures}
    )
    return services.indicator_value_submit(value=value, actor=actor)


def test_due_dates(plan, settings):
    assert value_due_date(plan, 2023) == dt.date(2024, 3, 31)
    settings.INDICATOR_REPORT_DUE = (2, 30)
    assert value_due_date(plan, 2023) == dt.date(2024, 2, 29)
    assert value_due_date(plan, 2024) == dt.date(2025, 2, 28)


def base_settings(monkeypatch, **environment):
    """``config/settings/base.py`` run afresh under ``environment``."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    path = Path(__file__).resolve().parents[2] / "config" / "settings" / "base.py"
    spec = importlib.util.spec_from_file_location("settings_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_due_is_a_setting(monkeypatch):
    monkeypatch.delenv("INDICATOR_REPORT_DUE", raising=False)
    assert base_settings(monkeypatch).INDICATOR_REPORT_DUE == (3, 31)
    moved = base_settings(monkeypatch, INDICATOR_REPORT_DUE="02-30")
    assert moved.INDICATOR_REPORT_DUE == (2, 30)
    for wrong in ("3/31", "13-01", "03-31-2024", ""):
        with pytest.raises(ImproperlyConfigured, match="MM-DD"):
            base_settings(monkeypatch, INDICATOR_REPORT_DUE=wrong)


def test_default_progress_year(plan):
    assert default_progress_year(plan, dt.date(2024, 3, 30)) == 2022
    assert default_progress_year(plan, dt.date(2024, 3, 31)) == 2023
    assert default_progress_year(plan, dt.date(2021, 6, 1)) == 2021
    assert default_progress_year(plan, dt.date(2030, 1, 1)) == 2025


def test_progress_for_every_indicator_and_year(django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        table = progress_by_indicator(indicators_queryset())
    assert len(table) == Indicator.objects.count()
    for rows in table.values():
        assert [p.year for p in rows] == [2021, 2022, 2023, 2024, 2025]
        assert {p.status for p in rows} == {ProgressStatus.NOT_REPORTED}


def test_progress_rows_are_plain_data(clerk_commerce):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    submit(indicator, 2023, clerk_commerce, value=Decimal("18.50"))
    rows = indicator_progress_rows(indicator)
    row_2023 = rows[2]
    assert row_2023 == {
        "year": 2023,
        "status": "behind",
        "status_display": "滞后",
        "expected": "18",
        "actual": "18.5",
        "note": "规划未给出基期值，中期年份按期末目标判断。",
        "targets": [
            {
                "year": None,
                "kind": "at_most",
                "text": "社会物流总费用与地区生产总值的比率下降到18%以内",
                "status": "behind",
                "expected": "18",
                "actual": "18.5",
                "note": "规划未给出基期值，中期年份按期末目标判断。",
            }
        ],
    }


def test_alerts_for_unreported_years_after_their_due_date():
    alerts = indicators_behind_or_unreported(dt.date(2024, 3, 31))
    # Values of 2021 and 2022 are due (31 March of the next year); 2023 is due
    # today, not yet overdue.
    assert {a.year for a in alerts} == {2021, 2022}
    assert {a.status for a in alerts} == {ProgressStatus.NOT_REPORTED}
    assert len(alerts) == 2 * Indicator.objects.count()
    assert len({a.key for a in alerts}) == len(alerts)
    first = alerts[0]
    assert first.key == "indicator:service-value-added-growth:2021:not_reported"
    assert first.department.code == "development-reform-commission"
    assert "逾期未报送" in first.message


def test_alerts_for_the_latest_year_behind(clerk_commerce):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    submit(indicator, 2021, clerk_commerce, value=Decimal("19"))
    submit(indicator, 2022, clerk_commerce, value=Decimal("18.5"))
    mine = [
        a
        for a in indicators_behind_or_unreported(dt.date(2024, 4, 1))
        if a.indicator.code == "logistics-cost-ratio"
    ]
    assert [(a.year, a.status) for a in mine] == [
        (2022, ProgressStatus.BEHIND),
        (2023, ProgressStatus.NOT_REPORTED),
    ]
    assert "应达 18，实际 18.5" in mine[0].message

    # A later report that meets the ceiling supersedes the earlier ones.
    submit(indicator, 2023, clerk_commerce, value=Decimal("17.8"))
    mine = [
        a
        for a in indicators_behind_or_unreported(dt.date(2024, 4, 1))
        if a.indicator.code == "logistics-cost-ratio"
    ]
    assert mine == []


def test_a_draft_is_not_a_report(clerk_commerce):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    services.indicator_value_create(
        indicator=indicator, year=2021, actor=clerk_commerce, data={"value": 17}
    )
    years = [
        a.year
        for a in indicators_behind_or_unreported(dt.date(2023, 1, 1))
        if a.indicator.code == "logistics-cost-ratio"
    ]
    assert years == [2021]
