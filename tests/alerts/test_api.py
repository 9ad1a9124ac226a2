"""``/api/v1/notices/``: own notices, recipient filter for supervisors, mark read."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from portfolio.models import District, Sector
from projects.alerts.choices import NoticeKind
from projects.alerts.delivery import deadlines_scan
from projects.alerts.models import Notice
from tests.factories import ProjectFactory, YearRecordFactory

URL = "/api/v1/notices/"


@pytest.fixture
def scanned(plan, supervisor, district_supervisor, clerk_bazhou, administrator):
    # A late report in 南江县 for the district supervisor, besides the backlog.
    YearRecordFactory(
        project=ProjectFactory(
            district=District.objects.get(code="nanjiang"),
            sector=Sector.objects.get(code="tourism"),
        ),
        year=2025,
        due_date=dt.date(2025, 12, 20),
    )
    deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_user_sees_own_notices(scanned, clerk_bazhou):
    response = client_for(clerk_bazhou).get(URL, {"page_size": 500})
    assert response.status_code == 200
    body = response.json()
    mine = Notice.objects.filter(recipient=clerk_bazhou)
    assert body["count"] == mine.count() > 0
    assert set(body) == {"count", "next", "previous", "results"}
    first = body["results"][0]
    assert {"id", "kind", "created_at", "read"} <= set(first)
    assert first["kind"] == NoticeKind.REMINDER and first["read"] is False
    assert first["recipient"] == "t-clerk-bazhou"
    assert first["year"] == 2026 and first["period"] in {"D-14", "D-7", "D-1"}
    assert {r["recipient"] for r in body["results"]} == {"t-clerk-bazhou"}


def test_clerk_may_not_look_at_someone_else(scanned, clerk_bazhou):
    response = client_for(clerk_bazhou).get(URL, {"recipient": "t-supervisor"})
    assert response.status_code == 403
    assert "督查员" in response.json()["detail"]


def test_supervisor_filters_by_recipient_within_scope(
    scanned, supervisor, district_supervisor
):
    everything = client_for(supervisor).get(URL, {"recipient": "t-supervisor-nj"})
    assert everything.status_code == 200
    theirs = Notice.objects.filter(recipient=district_supervisor)
    assert everything.json()["count"] == theirs.count() > 0
    # A district supervisor sees another person's notices only in their district.
    response = client_for(district_supervisor).get(URL, {"recipient": "t-supervisor"})
    codes = {r["project"] for r in response.json()["results"]}
    assert codes and all(
        Notice.objects.filter(
            project__code=c, project__district__code="nanjiang"
        ).exists()
        for c in codes
    )


def test_administrator_filters_by_recipient(scanned, administrator, clerk_bazhou):
    response = client_for(administrator).get(URL, {"recipient": "t-clerk-bazhou"})
    assert response.json()["count"] == clerk_bazhou.notices.count()


def test_filters_by_kind_and_read(scanned, supervisor):
    client = client_for(supervisor)
    late = client.get(URL, {"kind": "schedule_overdue"}).json()
    assert late["count"] == supervisor.notices.filter(kind="schedule_overdue").count()
    notice = supervisor.notices.first()
    client.post(f"{URL}{notice.pk}/read/")
    assert client.get(URL, {"read": "true"}).json()["count"] == 1
    unread = client.get(URL, {"read": "false"}).json()["count"]
    assert unread == supervisor.notices.count() - 1


def test_mark_read(scanned, supervisor, clerk_bazhou):
    notice = supervisor.notices.first()
    response = client_for(supervisor).post(f"{URL}{notice.pk}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True and response.json()["id"] == notice.pk
    notice.refresh_from_db()
    assert notice.read_at is not None
    # Someone else's notice is not even visible to them.
    assert client_for(clerk_bazhou).post(f"{URL}{notice.pk}/read/").status_code == 404


def test_anonymous_is_refused_with_json(scanned):
    response = APIClient().get(URL)
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_notices_are_read_only(scanned, supervisor):
    notice = supervisor.notices.first()
    client = client_for(supervisor)
    assert client.delete(f"{URL}{notice.pk}/").status_code == 405
    assert client.post(URL, {}).status_code == 405
