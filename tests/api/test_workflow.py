"""Writes through the API: figures, phases, the review workflow, ETags."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from portfolio.choices import ReviewState
from portfolio.models import AuditEntry
from projects import services
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.callers import user_caller
from tests.factories import clerk_for

pytestmark = pytest.mark.django_db


def _record(code="t1-001") -> YearRecord:
    return YearRecord.objects.filter(project__code=code).order_by("-year").first()


def _url(record, suffix=""):
    return f"/api/v1/year-records/{record.pk}/{suffix}"


def _fill(record):
    services.year_record_update(
        record=record,
        actor=clerk_for(record.project),
        data={"phase": Phase.UNDER_CONSTRUCTION, "percent_complete": Decimal("30")},
    )


def _submitted(code="t1-001"):
    record = _record(code)
    _fill(record)
    return services.year_record_submit(record=record, actor=clerk_for(record.project))


def test_invalid_value_is_400_naming_the_field_and_nothing_changes(writer):
    record = _record()
    response = writer.patch(
        _url(record),
        {"actual_investment": "-5", "progress": "写了一半"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["actual_investment"]
    assert "actual_investment" in body["detail"]
    record.refresh_from_db()
    assert record.progress == "" and record.actual_investment is None


def test_service_refusal_rolls_back_every_field(writer):
    """A completed phase needs 100%: the whole PATCH is refused, none of it saved."""
    record = _record()
    services.year_record_update(
        record=record,
        actor=clerk_for(record.project),
        data={"phase": Phase.UNDER_CONSTRUCTION},
    )
    version = YearRecord.objects.get(pk=record.pk).version
    response = writer.patch(
        _url(record),
        {"phase": "completed", "percent_complete": "50", "progress": "竣工"},
        format="json",
    )
    assert response.status_code == 400
    assert "percent_complete" in response.json()["errors"]
    fresh = YearRecord.objects.get(pk=record.pk)
    assert (fresh.phase, fresh.progress, fresh.version) == (
        Phase.UNDER_CONSTRUCTION,
        "",
        version,
    )
    assert Project.objects.get(code="t1-001").phase == Phase.UNDER_CONSTRUCTION


def test_read_only_or_unknown_field_is_400_not_ignored(writer):
    response = writer.patch(
        _url(_record()), {"state": "approved", "progress": "x"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["state"]
    assert _record().state == ReviewState.DRAFT and _record().progress == ""


def test_submit_then_second_submit_is_409_naming_state_and_actions(writer):
    record = _record()
    _fill(record)
    response = writer.post(_url(record, "submit/"))
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "submitted"
    assert response.json()["allowed_actions"] == ["approve", "return"]
    again = writer.post(_url(record, "submit/"))
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "transition_not_allowed"
    assert body["state"] == "submitted"
    assert body["allowed_actions"] == ["approve", "return"]
    assert "已提交" in body["detail"] and "审核通过" in body["detail"]


def test_submit_without_phase_is_400_and_stays_draft(writer):
    record = _record()
    response = writer.post(_url(record, "submit/"))
    assert response.status_code == 400
    assert "phase" in response.json()["errors"]
    assert _record().state == ReviewState.DRAFT


def test_state_is_checked_before_the_body(writer):
    record = _record()  # draft
    response = writer.post(_url(record, "return/"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["state"] == "draft"
    assert response.json()["allowed_actions"] == ["submit"]


def test_return_without_reason_on_submitted_is_400(supervisor_writer):
    record = _submitted()
    response = supervisor_writer.post(_url(record, "return/"), {}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    assert _record().state == ReviewState.SUBMITTED


def test_return_with_reason_then_resubmit(writer, supervisor_writer):
    record = _submitted()
    response = supervisor_writer.post(
        _url(record, "return/"), {"reason": "投资数据与台账不符"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "returned"
    assert response.json()["return_reason"] == "投资数据与台账不符"
    entry = AuditEntry.objects.filter(object_id=str(record.pk)).first()
    assert entry.reason == "投资数据与台账不符"
    assert entry.actor_label == supervisor_writer.api_client.actor_label
    assert entry.api_client == supervisor_writer.api_client
    assert writer.post(_url(record, "submit/")).json()["state"] == "submitted"


def test_approve_then_patch_is_409_even_with_invalid_body(writer, supervisor_writer):
    record = _submitted()
    approved = supervisor_writer.post(_url(record, "approve/"))
    assert approved.json()["state"] == "approved"
    response = writer.patch(_url(record), {"actual_investment": "-1"}, format="json")
    assert response.status_code == 409
    assert response.json()["allowed_actions"] == ["reopen"]
    assert "已审核" in response.json()["detail"]
    reopened = supervisor_writer.post(
        _url(record, "reopen/"), {"reason": "更正"}, format="json"
    )
    assert reopened.json()["state"] == "draft"


def test_two_writes_with_the_same_etag_second_is_412(writer):
    record = _record()
    etag = writer.get(_url(record))["ETag"]
    first = writer.patch(
        _url(record), {"progress": "第一次"}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200
    assert first["ETag"] != etag
    second = writer.patch(
        _url(record), {"progress": "第二次"}, format="json", HTTP_IF_MATCH=etag
    )
    assert second.status_code == 412
    assert second.json()["code"] == "precondition_failed"
    assert second.json()["current_version"] == first.json()["version"]
    assert _record().progress == "第一次"


def test_stale_etag_on_a_workflow_action_is_412(writer):
    record = _record()
    etag = writer.get(_url(record))["ETag"]
    _fill(record)
    response = writer.post(_url(record, "submit/"), HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert _record().state == ReviewState.DRAFT


def test_project_etag_and_if_match(writer):
    url = "/api/v1/projects/t1-001/"
    etag = writer.get(url)["ETag"]
    assert (
        writer.patch(
            url, {"clusters": ["c01"]}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )
    stale = writer.patch(url, {"clusters": ["c02"]}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Project.objects.get(code="t1-001").clusters.get().code == "c01"


def test_phase_action(writer):
    url = "/api/v1/projects/t1-001/phase/"
    response = writer.post(url, {"phase": "under_construction"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["phase"] == "under_construction"
    assert response.json()["year_record"]["phase"] == "under_construction"
    no_reason = writer.post(url, {"phase": "suspended"}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["errors"]
    backwards = writer.post(url, {"phase": "preparing"}, format="json")
    assert backwards.status_code == 400
    assert "phase" in backwards.json()["errors"]
    bad = writer.post(url, {"phase": "flying"}, format="json")
    assert bad.status_code == 400 and "phase" in bad.json()["errors"]
    history = writer.get("/api/v1/projects/t1-001/history/").json()["results"]
    assert history[0]["action"] == "phase"
    assert history[0]["changes"] == {"phase": ["", "under_construction"]}


def test_phase_action_with_stale_etag_is_412(writer):
    url = "/api/v1/projects/t1-001/"
    etag = writer.get(url)["ETag"]
    writer.patch(url, {"clusters": ["c01"]}, format="json")
    response = writer.post(
        url + "phase/",
        {"phase": "under_construction"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 412
    assert Project.objects.get(code="t1-001").phase == ""


def test_phase_action_on_a_submitted_record_is_409(writer):
    _submitted()
    response = writer.post(
        "/api/v1/projects/t1-001/phase/", {"phase": "bogus"}, format="json"
    )
    assert response.status_code == 409


def test_read_token_cannot_run_workflow_actions(reader):
    response = reader.post(_url(_record(), "submit/"))
    assert response.status_code == 403
    assert _record().state == ReviewState.DRAFT


def test_scoped_token_cannot_move_a_project_out_of_scope(bazhou_writer):
    response = bazhou_writer.patch(
        "/api/v1/projects/t1-001/", {"district": "nanjiang"}, format="json"
    )
    assert response.status_code == 403
    assert Project.objects.get(code="t1-001").district.code == "bazhou"


def test_scoped_token_cannot_act_outside_scope(bazhou_writer):
    record = _record("t6-003")  # 恩阳区 education project
    response = bazhou_writer.post(_url(record, "submit/"))
    assert response.status_code == 404


# -- people with their own accounts: the admin's rules ------------------------------


def test_clerk_fills_and_submits_own_record(clerk_bazhou):
    caller = user_caller(clerk_bazhou)
    record = _record()
    response = caller.patch(
        _url(record),
        {"phase": "under_construction", "percent_complete": "10"},
        format="json",
    )
    assert response.status_code == 200
    assert caller.post(_url(record, "submit/")).status_code == 200
    entry = AuditEntry.objects.filter(object_id=str(record.pk)).first()
    assert entry.actor == clerk_bazhou


def test_clerk_cannot_approve_and_supervisor_cannot_fill(clerk_bazhou, supervisor):
    record = _submitted()
    refused = user_caller(clerk_bazhou).post(_url(record, "approve/"))
    assert refused.status_code == 403
    assert "督查员" in refused.json()["detail"]
    boss = user_caller(supervisor)
    assert boss.post(_url(record, "approve/")).status_code == 200
    reopened = boss.post(_url(record, "reopen/"), {"reason": "更正"}, format="json")
    assert reopened.status_code == 200
    patch = boss.patch(_url(record), {"progress": "x"}, format="json")
    assert patch.status_code == 403


def test_clerk_cannot_see_another_departments_record(clerk_education):
    caller = user_caller(clerk_education)
    assert caller.get(_url(_record("t1-001"))).status_code == 404
    assert caller.get(_url(_record("t6-001"))).status_code == 200
    codes = {
        row["project"]
        for row in caller.get("/api/v1/year-records/", {"page_size": 500}).json()[
            "results"
        ]
    }
    assert codes and all(code.startswith("t6-") for code in codes)


def test_clerk_cannot_move_own_project_out_of_scope(clerk_bazhou):
    response = user_caller(clerk_bazhou).patch(
        "/api/v1/projects/t1-001/", {"district": "nanjiang"}, format="json"
    )
    assert response.status_code == 403
    assert Project.objects.get(code="t1-001").district.code == "bazhou"


def test_basic_auth_for_people(clerk_bazhou):
    caller = APIClient()
    credentials = base64.b64encode(b"t-clerk-bazhou:pw-for-tests-123").decode()
    caller.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    response = caller.get("/api/v1/projects/", {"page_size": 500})
    assert response.status_code == 200
    assert {row["district"] for row in response.json()["results"]} == {"bazhou"}


def test_session_login_for_people(clerk_bazhou):
    caller = APIClient(enforce_csrf_checks=True)
    assert caller.login(username="t-clerk-bazhou", password="pw-for-tests-123")
    assert caller.get("/api/v1/year-records/").status_code == 200
    # A session write without the CSRF token is refused, as in any Django form.
    refused = caller.patch(_url(_record()), {"progress": "x"}, format="json")
    assert refused.status_code == 403
