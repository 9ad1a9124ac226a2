"""/api/v1/indicators/: CONTRACT.md's fields, plus values and progress per year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from indicators import services
from indicators.models import Indicator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client, supervisor):
    client.force_login(supervisor)
    return client


def test_list_has_every_indicator(reader, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        body = reader.get("/api/v1/indicators/", {"page_size": 500}).json()
    assert body["count"] == Indicator.objects.count()
    first = body["results"][0]
    assert first["code"] == "service-value-added-growth"
    assert first["direction"] == "higher_is_better"
    assert [t["year"] for t in first["targets"]] == [2021, 2022, 2023, 2024, 2025]
    assert first["targets"][1] == {
        "year": 2022,
        "kind": "yearly",
        "value": "8.5",
        "value_max": None,
        "text": "8.5",
        "strict": False,
        "approximate": False,
        "tolerance": None,
        "source": "专栏7",
    }


def test_filters(reader):
    body = reader.get("/api/v1/indicators/", {"direction": "lower_is_better"}).json()
    assert sorted(r["code"] for r in body["results"]) == [
        "bank-npl-ratio",
        "logistics-cost-ratio",
    ]
    body = reader.get("/api/v1/indicators/", {"sector": "education"}).json()
    assert body["count"] == 4


def test_detail_by_code_with_values_and_progress(
    reader, supervisor, django_assert_max_num_queries
):
    clerk = UserFactory.clerk(["commerce-bureau"], username="t-clerk-commerce")
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    value = services.indicator_value_create(
        indicator=indicator,
        year=2025,
        actor=clerk,
        data={
            "value": Decimal("17"),
            "source": "统计公报",
            "reported_on": dt.date(2026, 3, 20),
        },
    )
    services.indicator_value_submit(value=value, actor=clerk)

    with django_assert_max_num_queries(12):
        body = reader.get("/api/v1/indicators/logistics-cost-ratio/").json()
    assert body["unit"] == "%"
    assert body["direction"] == "lower_is_better"
    assert body["targets"] == [
        {
            "year": None,
            "kind": "at_most",
            "value": "18",
            "value_max": None,
            "text": "社会物流总费用与地区生产总值的比率下降到18%以内",
            "strict": False,
            "approximate": False,
            "tolerance": None,
            "source": "四、（三）提质发展商贸物流业",
        }
    ]
    assert body["department"] == "commerce-bureau"
    assert [v["year"] for v in body["values"]] == [2025]
    assert body["values"][0]["state"] == "submitted"
    assert body["values"][0]["value"] == "17"
    progress = {row["year"]: row for row in body["progress"]}
    assert progress[2025]["status"] == "met"
    assert progress[2025]["expected"] == "18"
    assert progress[2025]["actual"] == "17"
    assert progress[2024]["status"] == "not_reported"


def test_range_and_baseline(reader):
    body = reader.get("/api/v1/indicators/new-banking-institutions/").json()
    assert body["targets"][0]["kind"] == "range"
    assert (body["targets"][0]["value"], body["targets"][0]["value_max"]) == ("2", "3")
    body = reader.get("/api/v1/indicators/tourism-visitors/").json()
    assert body["baseline"] == {
        "year": 2020,
        "value": "2920.55",
        "unit": "万人次",
        "text": "全市接待国内旅游者2920.55万人次",
    }


def test_read_only_and_unknown_code(reader):
    assert reader.get("/api/v1/indicators/nothing/").status_code == 404
    response = reader.post("/api/v1/indicators/", {"code": "x"})
    assert response.status_code == 405


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/indicators/").status_code in (401, 403)
