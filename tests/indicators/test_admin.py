"""The admin: a progress column and filter on indicators; values through services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators import services
from indicators.models import Indicator, IndicatorValue
from portfolio.choices import ReviewState
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
REPORT = {"source": "统计公报", "reported_on": dt.date(2024, 3, 1)}


@pytest.fixture
def clerk_commerce(db):
    return UserFactory.clerk(["commerce-bureau"], username="t-clerk-commerce")


def approved(indicator, year, clerk, supervisor, value):
    record = services.indicator_value_create(
        indicator=indicator, year=year, actor=clerk, data={**REPORT, "value": value}
    )
    record = services.indicator_value_submit(value=record, actor=clerk)
    return services.indicator_value_approve(value=record, actor=supervisor)


def test_progress_column_and_filter(client, administrator, clerk_commerce, supervisor):
    logistics = Indicator.objects.get(code="logistics-cost-ratio")
    approved(logistics, 2023, clerk_commerce, supervisor, Decimal("17"))
    client.force_login(administrator)
    url = reverse("admin:indicators_indicator_changelist")

    page = client.get(url, {"progress_year": "2023"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "进度" in html and "已达标" in html and "未报送" in html

    met = client.get(url, {"progress_year": "2023", "progress": "met"})
    assert list(met.context["cl"].result_list) == [logistics]
    assert "（2023年）" in met.content.decode()

    unreported = client.get(url, {"progress_year": "2023", "progress": "not_reported"})
    shown = list(unreported.context["cl"].result_list)
    assert logistics not in shown
    assert len(shown) == Indicator.objects.count() - 1

    other_year = client.get(url, {"progress_year": "2022", "progress": "met"})
    assert list(other_year.context["cl"].result_list) == []


def test_indicator_page_shows_each_years_progress(client, administrator):
    indicator = Indicator.objects.get(code="tourism-visitors")
    client.force_login(administrator)
    page = client.get(reverse("admin:indicators_indicator_change", args=[indicator.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for year in range(2021, 2026):
        assert f"{year}年" in html
    # 2023 on the line from 2920.55 (2020) to 8000 (2025).
    assert "5968.22" in html


def test_clerk_adds_a_value_through_the_service(client, clerk_commerce):
    indicator = Indicator.objects.get(code="e-commerce-volume")
    client.force_login(clerk_commerce)
    response = client.post(
        reverse("admin:indicators_indicatorvalue_add"),
        {
            "indicator": indicator.pk,
            "year": 2023,
            "value": "32.5",
            "rate": "",
            "source": "商务局统计",
            "reported_on": "2024-03-01",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    value = IndicatorValue.objects.get(indicator=indicator, year=2023)
    assert value.value == Decimal("32.5")
    assert value.department.code == "commerce-bureau"
    assert value.state == ReviewState.DRAFT

    listing = client.get(
        reverse("admin:indicators_indicatorvalue_changelist"),
    )
    assert list(listing.context["cl"].result_list) == [value]
    client.post(
        reverse("admin:indicators_indicatorvalue_changelist"),
        {"action": "submit_values", "_selected_action": [value.pk]},
    )
    value.refresh_from_db()
    assert value.state == ReviewState.SUBMITTED


def test_clerk_cannot_pick_another_departments_indicator(client, clerk_commerce):
    indicator = Indicator.objects.get(code="public-kindergartens")
    client.force_login(clerk_commerce)
    response = client.post(
        reverse("admin:indicators_indicatorvalue_add"),
        {
            "indicator": indicator.pk,
            "year": 2023,
            "value": "12",
            "source": "x",
            "reported_on": "2024-03-01",
        },
    )
    assert response.status_code == 200
    assert "indicator" in response.context["adminform"].form.errors
    assert not IndicatorValue.objects.exists()


def test_supervisor_returns_with_a_reason(client, clerk_commerce, supervisor):
    indicator = Indicator.objects.get(code="e-commerce-volume")
    value = services.indicator_value_create(
        indicator=indicator,
        year=2023,
        actor=clerk_commerce,
        data={**REPORT, "value": Decimal("30")},
    )
    services.indicator_value_submit(value=value, actor=clerk_commerce)
    client.force_login(supervisor)
    url = reverse("admin:indicators_indicatorvalue_changelist")
    ask = client.post(url, {"action": "return_values", "_selected_action": [value.pk]})
    assert "请写明原因" in ask.content.decode()
    client.post(
        url,
        {
            "action": "return_values",
            "_selected_action": [value.pk],
            "apply": "1",
            "reason": "请附统计来源",
        },
    )
    value.refresh_from_db()
    assert value.state == ReviewState.RETURNED
    assert value.return_reason == "请附统计来源"


def test_administrator_corrects_a_baseline_with_history(client, administrator):
    from django.contrib.contenttypes.models import ContentType

    from portfolio.models import AuditEntry
    from projects.bootstrap.plan_loader import plan_load

    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    client.force_login(administrator)
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    targets = list(indicator.targets.all())
    data.update(
        {
            "baseline_year": "2020",
            "baseline_value": "19.6",
            "baseline_text": "市统计局测算",
            "targets-TOTAL_FORMS": str(len(targets)),
            "targets-INITIAL_FORMS": str(len(targets)),
            "targets-MIN_NUM_FORMS": "0",
            "targets-MAX_NUM_FORMS": "1000",
        }
    )
    for i, target in enumerate(targets):
        data.update(
            {
                f"targets-{i}-id": target.pk,
                f"targets-{i}-indicator": indicator.pk,
                f"targets-{i}-year": "",
                f"targets-{i}-kind": target.kind,
                f"targets-{i}-value": str(target.value),
                f"targets-{i}-value_max": "",
                f"targets-{i}-tolerance": "0.2",
                f"targets-{i}-text": target.text,
                f"targets-{i}-source": target.source,
            }
        )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    indicator.refresh_from_db()
    assert indicator.baseline_value == Decimal("19.6")
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Indicator),
        object_id=str(indicator.pk),
        action="update",
    )
    assert entry.changes["baseline_value"] == [None, "19.6"]
    assert entry.actor == administrator
    assert indicator.targets.get().tolerance == Decimal("0.2")

    report = plan_load(today=dt.date(2026, 11, 28))
    indicator.refresh_from_db()
    assert indicator.baseline_value == Decimal("19.6")
    assert indicator.targets.get().tolerance == Decimal("0.2")
    assert any(line.startswith("logistics-cost-ratio") for line in report.kept)
