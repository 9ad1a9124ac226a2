"""Issue 13, the authorization half: each finding reproduced, now refused.

- a department's write token submitted and then approved its own report;
- the culture-tourism clerk moved a 巴州区 project to 恩阳区; a clerk (person or
  token) changed a project's department;
- the 恩阳区 read token read the commerce bureau's draft indicator value;
- nobody approves or returns a report it submitted itself (separation of duties).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from indicators import services as indicator_services
from indicators.models import Indicator
from portfolio.choices import AuditAction, ReviewState, Role
from portfolio.models import AuditEntry, Department, District
from projects import services
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.callers import token_caller, user_caller
from tests.factories import UserFactory, clerk_for

pytestmark = pytest.mark.django_db


def _record(code: str) -> YearRecord:
    return YearRecord.objects.filter(project__code=code).order_by("-year").first()


def _url(record: YearRecord, suffix: str = "") -> str:
    return f"/api/v1/year-records/{record.pk}/{suffix}"


def _fill(record: YearRecord) -> None:
    services.year_record_update(
        record=record,
        actor=clerk_for(record.project),
        data={"phase": Phase.UNDER_CONSTRUCTION, "percent_complete": Decimal("30")},
    )


# -- a write token approved its own department's report --------------------------


def test_a_departments_write_token_submits_but_cannot_approve(bazhou_writer):
    record = _record("t1-001")
    _fill(record)
    assert bazhou_writer.post(_url(record, "submit/")).status_code == 200
    refused = bazhou_writer.post(_url(record, "approve/"))
    assert refused.status_code == 403, refused.json()
    assert "督查员" in refused.json()["detail"]
    assert _record("t1-001").state == ReviewState.SUBMITTED
    # The same answer as the bazhou clerk in person.
    clerk = user_caller(UserFactory.clerk(["bazhou-gov"], username="t-bz"))
    assert clerk.post(_url(record, "approve/")).status_code == 403


def test_a_supervisor_token_is_given_explicitly_and_then_reviews(bazhou_writer):
    boss = token_caller("write", ["bazhou-gov"], role=Role.SUPERVISOR)
    record = _record("t1-001")
    _fill(record)
    assert bazhou_writer.post(_url(record, "submit/")).status_code == 200
    approved = boss.post(_url(record, "approve/"))
    assert approved.status_code == 200, approved.json()
    entry = AuditEntry.objects.filter(
        object_id=str(record.pk), action=AuditAction.APPROVE
    ).get()
    assert entry.api_client == boss.api_client
    draft = _record("t1-002")
    refused = boss.patch(_url(draft), {"progress": "督查员填报"}, format="json")
    assert refused.status_code == 403


# -- separation of duties ----------------------------------------------------------


@pytest.mark.parametrize("act", ["approve/", "return/"])
def test_an_administrator_token_does_not_review_its_own_submission(act):
    admin = token_caller("write", role=Role.ADMINISTRATOR)
    other = token_caller("write", role=Role.SUPERVISOR)
    record = _record("t1-001")
    _fill(record)
    assert admin.post(_url(record, "submit/")).status_code == 200
    refused = admin.post(_url(record, act), {"reason": "自审"}, format="json")
    assert refused.status_code == 403, refused.json()
    assert "自己提交" in refused.json()["detail"]
    assert _record("t1-001").state == ReviewState.SUBMITTED
    reviewed = other.post(_url(record, act), {"reason": "他审"}, format="json")
    assert reviewed.status_code == 200


def test_a_person_with_both_roles_does_not_approve_own_submission(supervisor):
    both = UserFactory.clerk(["bazhou-gov"], username="t-both")
    both.groups.add(*UserFactory.supervisor(username="t-both-s").groups.all())
    both = type(both).objects.get(pk=both.pk)
    record = _record("t1-001")
    _fill(record)
    services.year_record_submit(record=record, actor=both)
    refused = user_caller(both).post(_url(record, "approve/"))
    assert refused.status_code == 403
    assert "自己提交" in refused.json()["detail"]
    # The rule reads the last submission: after a return and a resubmission by
    # someone else, the first submitter may review.
    services.year_record_return(record=record, actor=supervisor, reason="补充")
    services.year_record_submit(record=record, actor=clerk_for(record.project))
    assert user_caller(both).post(_url(record, "approve/")).status_code == 200


def test_an_indicator_value_is_not_approved_by_its_submitter():
    both = UserFactory.clerk(["commerce-bureau"], username="t-both-commerce")
    both.groups.add(*UserFactory.supervisor(username="t-both-c-s").groups.all())
    both = type(both).objects.get(pk=both.pk)
    value = indicator_services.indicator_value_create(
        indicator=Indicator.objects.get(code="retail-sales-growth"),
        year=2025,
        actor=both,
        data={
            "value": Decimal("9"),
            "source": "统计公报",
            "reported_on": dt.date(2026, 3, 1),
        },
    )
    indicator_services.indicator_value_submit(value=value, actor=both)
    with pytest.raises(PermissionDenied, match="自己提交"):
        indicator_services.indicator_value_approve(value=value, actor=both)
    with pytest.raises(PermissionDenied, match="自己提交"):
        indicator_services.indicator_value_return(value=value, actor=both, reason="x")
    value.refresh_from_db()
    assert value.state == ReviewState.SUBMITTED
    indicator_services.indicator_value_approve(
        value=value, actor=UserFactory.supervisor(username="t-other-boss")
    )


# -- moving a project ----------------------------------------------------------------


@pytest.fixture
def culture_tourism_clerk():
    return UserFactory.clerk(["culture-tourism-bureau"], username="t-clerk-ct")


def test_the_culture_tourism_clerk_cannot_move_a_bazhou_project(
    culture_tourism_clerk,
):
    """The finding: the bureau sees t1-003 by its sector, and re-districted it."""
    caller = user_caller(culture_tourism_clerk)
    for body in ({"district": "enyang"}, {"district": "enyang", "reason": "调整"}):
        response = caller.patch("/api/v1/projects/t1-003/", body, format="json")
        assert response.status_code == 403, response.json()
    assert Project.objects.get(code="t1-003").district.code == "bazhou"
    # Its clusters it may still correct; the plan's own fields need an adjustment.
    fixed = caller.patch(
        "/api/v1/projects/t1-003/", {"clusters": ["c01"]}, format="json"
    )
    assert fixed.status_code == 200
    refused = caller.patch(
        "/api/v1/projects/t1-003/", {"content": "更正"}, format="json"
    )
    assert refused.status_code == 400 and "content" in refused.json()["errors"]


@pytest.mark.parametrize("who", ["person", "token"])
def test_a_clerk_cannot_change_the_department(who, clerk_bazhou):
    if who == "person":
        caller = user_caller(clerk_bazhou)
    else:
        caller = token_caller("write", ["bazhou-gov"])
    response = caller.patch(
        "/api/v1/projects/t1-001/",
        {"department": "enyang-gov", "reason": "划转"},
        format="json",
    )
    assert response.status_code == 403, response.json()
    assert Project.objects.get(code="t1-001").department.code == "bazhou-gov"


def test_a_bureau_supervisor_does_not_hold_a_district():
    boss = UserFactory.supervisor(["culture-tourism-bureau"], username="t-ct-boss")
    response = user_caller(boss).patch(
        "/api/v1/projects/t1-003/",
        {"district": "enyang", "reason": "调整"},
        format="json",
    )
    assert response.status_code == 403
    assert "县区" in response.json()["detail"]
    # Between two of its own sectors it may move the project.
    moved = user_caller(boss).patch(
        "/api/v1/projects/t1-003/",
        {"sector": "culture-creative", "reason": "按规划调整归类"},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["sector"] == "culture-creative"


def test_a_supervisor_of_both_places_moves_with_a_reason():
    boss = UserFactory.supervisor(["bazhou-gov", "enyang-gov"], username="t-2-boss")
    caller = user_caller(boss)
    url = "/api/v1/projects/t1-003/"
    body = {"district": "enyang", "department": "enyang-gov"}
    no_reason = caller.patch(url, body, format="json")
    assert no_reason.status_code == 400
    assert list(no_reason.json()["errors"]) == ["reason"]
    assert Project.objects.get(code="t1-003").district.code == "bazhou"
    moved = caller.patch(url, {**body, "reason": "区划调整"}, format="json")
    assert moved.status_code == 200, moved.json()
    project = Project.objects.get(code="t1-003")
    assert (project.district.code, project.department.code) == ("enyang", "enyang-gov")
    entry = AuditEntry.objects.filter(object_id=str(project.pk)).first()
    assert entry.reason == "区划调整"
    assert set(entry.changes) == {"district_id", "department_id"}
    # The old district's clerk has lost it; the new one's has it.
    assert user_caller(clerk_for_dept("bazhou-gov")).get(url).status_code == 404
    assert user_caller(clerk_for_dept("enyang-gov")).get(url).status_code == 200


def test_a_supervisor_token_of_one_district_cannot_move_across():
    boss = token_caller("write", ["bazhou-gov"], role=Role.SUPERVISOR)
    response = boss.patch(
        "/api/v1/projects/t1-003/",
        {"district": "enyang", "reason": "调整"},
        format="json",
    )
    assert response.status_code == 403
    district = Project.objects.get(code="t1-003").district
    assert district == District.objects.get(code="bazhou")


def clerk_for_dept(code: str):
    return UserFactory.clerk([code], username=f"t-clerk-of-{code}")


# -- indicator values follow the admin's scope -------------------------------------


@pytest.fixture
def commerce_draft():
    clerk = UserFactory.clerk(["commerce-bureau"], username="t-clerk-commerce")
    return indicator_services.indicator_value_create(
        indicator=Indicator.objects.get(code="retail-sales-growth"),
        year=2025,
        actor=clerk,
        data={
            "value": Decimal("7.5"),
            "source": "商务局内部测算",
            "reported_on": dt.date(2026, 2, 1),
        },
    )


def _values(caller, code="retail-sales-growth") -> list[dict]:
    return caller.get(f"/api/v1/indicators/{code}/").json()["values"]


def test_another_departments_draft_value_is_not_readable(commerce_draft):
    enyang = token_caller("read", ["enyang-gov"])
    assert _values(enyang) == []
    listed = enyang.get("/api/v1/indicators/", {"page_size": 500}).json()["results"]
    assert all(row["values"] == [] for row in listed)
    assert "商务局内部测算" not in str(listed)
    # Its own department, and the supervisors of it, see the draft.
    commerce = token_caller("read", ["commerce-bureau"])
    assert [v["state"] for v in _values(commerce)] == ["draft"]
    everything = token_caller("read")
    assert [v["source"] for v in _values(everything)] == ["商务局内部测算"]
    boss = user_caller(UserFactory.supervisor(username="t-city-boss"))
    assert len(_values(boss)) == 1
    bureau_clerk = user_caller(
        UserFactory.clerk(["culture-tourism-bureau"], username="t-ct")
    )
    assert _values(bureau_clerk) == []


def test_the_enyang_clerk_sees_its_own_indicators_values():
    clerk = UserFactory.clerk(["enyang-gov"], username="t-clerk-enyang")
    indicator = Indicator.objects.filter(department__code="enyang-gov").first()
    indicator_services.indicator_value_create(
        indicator=indicator, year=2025, actor=clerk, data={"value": Decimal("1")}
    )
    assert len(_values(user_caller(clerk), indicator.code)) == 1
    assert _values(token_caller("read", ["bazhou-gov"]), indicator.code) == []
    assert Department.objects.get(code="enyang-gov") == indicator.department
