"""Incremental sync: ``updated_since`` plus the deletion feed equals a full fetch."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from portfolio.choices import Role
from projects import services
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.callers import token_caller
from tests.factories import ProjectFactory, YearRecordFactory, admin_actor

pytestmark = pytest.mark.django_db


def _fetch_all(caller, path, params=None) -> list[dict]:
    rows, url, query = [], path, {**(params or {}), "page_size": 100}
    while url:
        body = caller.get(url, query).json()
        rows += body["results"]
        url, query = body["next"], None
    return rows


def _full(caller) -> dict[str, dict]:
    return {
        "projects": {r["code"]: r for r in _fetch_all(caller, "/api/v1/projects/")},
        "year_records": {
            r["id"]: r for r in _fetch_all(caller, "/api/v1/year-records/")
        },
    }


def _apply(copy: dict, caller, since: str) -> None:
    """What a client does: upsert what changed, drop what was deleted."""
    params = {"updated_since": since}
    for row in _fetch_all(caller, "/api/v1/projects/", params):
        copy["projects"][row["code"]] = row
    for row in _fetch_all(caller, "/api/v1/year-records/", params):
        copy["year_records"][row["id"]] = row
    for gone in _fetch_all(caller, "/api/v1/deletions/", {"since": since}):
        table = "projects" if gone["model"] == "projects.project" else "year_records"
        copy[table].pop(gone["code"] if table == "projects" else gone["id"], None)


def _changes_happen():
    """An external system's administrator token edits, submits and deletes."""
    erp = token_caller("write", name="ERP", role=Role.ADMINISTRATOR).api_client
    year = timezone.localdate().year
    new = ProjectFactory(start_year=year, end_year=year + 1, period="2026-2027")
    YearRecordFactory(project=new, year=year)
    services.project_update(
        project=Project.objects.get(code="t1-003"),
        actor=erp,
        data={"content": "增量同步测试"},
    )
    record = YearRecord.objects.get(project__code="t1-004", year=year)
    services.year_record_update(
        record=record,
        actor=erp,
        data={"phase": Phase.UNDER_CONSTRUCTION, "actual_investment": Decimal("5")},
    )
    services.year_record_submit(record=record, actor=erp)
    services.project_delete(
        project=Project.objects.get(code="t1-005"), actor=erp, reason="重复录入"
    )
    services.year_record_delete(
        record=YearRecord.objects.get(project__code="t1-006", year=year),
        actor=erp,
        reason="误建",
    )


def test_updated_since_and_deletions_keep_a_copy_identical(reader):
    copy = _full(reader)
    assert "t1-005" in copy["projects"]
    since = timezone.now().isoformat()
    _changes_happen()
    _apply(copy, reader, since)
    assert copy == _full(reader)
    assert "t1-005" not in copy["projects"]
    assert copy["projects"]["t1-006"]["year_record"] is None
    assert copy["projects"]["t1-004"]["year_record"]["state"] == "submitted"


def test_deletions_of_other_departments_are_not_shown(bazhou_reader, reader):
    since = timezone.now().isoformat()
    boss = admin_actor()
    services.project_delete(project=Project.objects.get(code="t1-009"), actor=boss)
    services.project_delete(project=Project.objects.get(code="t1-001"), actor=boss)
    mine = _fetch_all(bazhou_reader, "/api/v1/deletions/", {"since": since})
    everyone = _fetch_all(reader, "/api/v1/deletions/", {"since": since})
    assert {r["code"] for r in mine if r["model"] == "projects.project"} == {"t1-001"}
    assert {r["code"] for r in everyone if r["model"] == "projects.project"} == {
        "t1-001",
        "t1-009",
    }
    assert all(r["deleted_at"] >= since[:19] for r in everyone)


def test_delete_services_are_for_administrators(clerk_bazhou, administrator):
    from django.core.exceptions import PermissionDenied

    project = Project.objects.get(code="t1-001")
    with pytest.raises(PermissionDenied):
        services.project_delete(project=project, actor=clerk_bazhou)
    services.project_delete(project=project, actor=administrator)
    assert not Project.objects.filter(code="t1-001").exists()
