"""``/api/v1/statistics/``: the statistics and ranking, each count linking to
the list of projects behind it, which adds up to that count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from projects.reporting.periods import period_parse
from projects.reporting.statistics import statistics_build
from tests.reporting.support import generate_reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, supervisor):
    client.force_login(supervisor)
    return client


def _all_items(api, url: str) -> list[dict]:
    rows = []
    while url:
        parts = urlsplit(url)
        response = api.get(parts.path + "?" + parts.query + "&page_size=500")
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        rows += body["results"]
        url = body["next"]
    return rows


def test_every_count_adds_up_from_its_list(api, plan, settings):
    settings.PROJECTS_PROGRESS_SINCE = dt.date(2026, 1, 1)
    generate_reports(plan)
    response = api.get(
        "/api/v1/statistics/",
        {"plan": plan.code, "period": "2026-11", "today": "2026-12-02"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {
        "key": "2026-11",
        "kind": "month",
        "label": "2026年11月",
        "start": "2026-11-01",
        "end": "2026-11-30",
    }
    assert body["schedule"] == "0.9167"
    stats = statistics_build(plan, period_parse("2026-11"), today=dt.date(2026, 12, 2))
    units = [body["total"], *body["units"]["district"], *body["units"]["table"]]
    checked = 0
    for unit in units:
        for name, figure in unit["counts"].items():
            if not Decimal(figure["value"]) or name == "solve_days":
                continue
            rows = _all_items(api, figure["url"])
            assert sum(Decimal(str(r["value"])) for r in rows) == Decimal(
                str(figure["value"])
            ), (unit["key"], name)
            assert str(stats.unit(unit["key"]).counts[name]) == str(figure["value"])
            checked += 1
    assert checked > 50
    assert [league["league"] for league in body["ranking"]] == [
        "district",
        "department",
    ]


def test_bad_period_and_unknown_plan_are_400(api):
    assert api.get("/api/v1/statistics/", {"period": "2026-13"}).status_code == 400
    response = api.get("/api/v1/statistics/", {"plan": "nope"})
    assert response.status_code == 400
    assert "plan" in response.json()["errors"]


def test_quarter_and_year_periods(api, plan):
    for key, kind in [("2026-Q4", "quarter"), ("2026", "year")]:
        body = api.get("/api/v1/statistics/", {"period": key}).json()
        assert body["period"]["kind"] == kind


def test_dashboard_shows_the_statistics_and_both_leagues(client, supervisor, plan):
    client.force_login(supervisor)
    html = client.get("/admin/?period=2026-11").content.decode()
    assert 'id="dispatch"' in html
    assert "调度统计：2026年11月" in html
    assert 'id="ranking-district"' in html and 'id="ranking-department"' in html
    assert "本期尚无报告或进度更新报送" in html


def test_rate_links_list_the_projects_of_the_numerator(api, plan, settings):
    settings.PROJECTS_PROGRESS_SINCE = dt.date(2026, 1, 1)
    generate_reports(plan)
    stats = statistics_build(plan, period_parse("2026-11"), today=dt.date(2026, 12, 2))
    rows = _all_items(
        api,
        "/api/v1/statistics/items/?period=2026-11&today=2026-12-02"
        "&unit=district:bazhou&figure=on_time",
    )
    assert sum(r["value"] for r in rows) == stats.unit("district:bazhou").part(
        "on_time"
    )
