"""The project resource shows the dossier: light, reasons and money, per row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.choices import HealthLight
from projects.dossier.models import ProjectHealth
from projects.dossier.services import project_dossier_update
from projects.models import Project
from tests.callers import user_caller
from tests.factories import admin_actor

pytestmark = pytest.mark.django_db

MONEY = {
    "total_investment": Decimal("5000"),
    "fiscal_funds": Decimal("1000"),
    "special_bonds": Decimal("2000"),
    "bank_loans": Decimal("1500"),
    "social_capital": Decimal("500"),
    "other_funds": Decimal("0"),
    "owner_unit": "巴中市文旅投资集团",
    "responsible_leader": "王副市长",
    "contact_person": "李明",
    "contact_phone": "13800001234",
}


@pytest.fixture
def red_project():
    project = Project.objects.get(code="t1-001")
    project_dossier_update(project=project, actor=admin_actor(), data=MONEY)
    now = timezone.make_aware(dt.datetime(2026, 11, 2, 9, 0))
    ProjectHealth.objects.create(
        project=project,
        light=HealthLight.RED,
        reasons=["已过完工年仍未竣工"],
        computed_at=now,
        light_since=now,
    )
    return project


def test_project_shows_light_reasons_and_money(reader, red_project):
    body = reader.get("/api/v1/projects/t1-001/").json()
    assert body["light"] == "red"
    assert body["light_display"] == "红灯"
    assert body["reasons"] == ["已过完工年仍未竣工"]
    assert body["dossier"]["total_investment"] == "5000.00"
    assert body["dossier"]["special_bonds"] == "2000.00"
    assert body["dossier"]["owner_unit"] == "巴中市文旅投资集团"
    assert body["dossier"]["contact_phone"] == "13800001234"  # in the caller's scope
    other = reader.get("/api/v1/projects/t1-002/").json()
    assert (other["light"], other["reasons"], other["dossier"]) == (None, [], None)


def test_filter_by_light(reader, red_project):
    rows = reader.get("/api/v1/projects/", {"light": "red"}).json()["results"]
    assert [row["code"] for row in rows] == ["t1-001"]


def test_public_export_leaves_personal_data_out(reader, red_project):
    response = reader.get("/api/v1/projects/", {"format": "csv"})
    csv = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "t1-001" in csv
    assert "13800001234" not in csv and "李明" not in csv


def test_personal_data_only_within_the_callers_scope(
    red_project, clerk_bazhou, district_supervisor
):
    inside = user_caller(clerk_bazhou).get("/api/v1/projects/t1-001/").json()
    assert inside["dossier"]["contact_person"] == "李明"  # t1-001 is in 巴州区
    outside = user_caller(district_supervisor)  # 南江县
    assert outside.get("/api/v1/projects/t1-001/").status_code == 404
    listed = outside.get("/api/v1/projects/", {"page_size": 100})
    assert listed.status_code == 200 and listed.json()["results"]
    assert "13800001234" not in listed.content.decode()
    assert "李明" not in listed.content.decode()


def test_no_query_per_row(reader, red_project):
    def count(page_size: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = reader.get("/api/v1/projects/", {"page_size": page_size})
        assert response.status_code == 200
        return len(queries.captured_queries)

    reader.get("/api/v1/projects/")  # the token's last use is recorded once
    assert count(1) == count(100)


def test_year_record_shows_its_progress_updates(reader, settings):
    from projects.choices import Phase
    from projects.dossier.services import progress_update_submit
    from projects.models import YearRecord
    from tests.factories import UserFactory

    settings.PROJECTS_PROGRESS_SINCE = dt.date(2026, 1, 1)
    record = YearRecord.objects.get(project__code="t1-002", year=2026)
    YearRecord.objects.filter(pk=record.pk).update(phase=Phase.UNDER_CONSTRUCTION)
    record.refresh_from_db()
    clerk = UserFactory.clerk(["bazhou-gov"], username="t-clerk-api-progress")
    progress_update_submit(
        year_record=record,
        period="2026-03",
        actor=clerk,
        data={
            "completed_investment": Decimal("120"),
            "physical_progress": "主体施工至三层",
            "percent_complete": Decimal("30"),
        },
        today=dt.date(2026, 4, 3),
    )
    body = reader.get(f"/api/v1/year-records/{record.pk}/").json()
    [update] = body["progress_updates"]
    assert update["period"] == "2026-03"
    assert update["physical_progress"] == "主体施工至三层"
    assert update["completed_investment"] == "120.00"
