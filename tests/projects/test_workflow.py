"""Every transition of the workflow table, allowed and forbidden, through services."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portfolio import review
from portfolio.choices import AuditAction, ReviewAction, ReviewState
from portfolio.exceptions import TransitionNotAllowed
from portfolio.models import AuditEntry
from projects import services, workflow
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.factories import clerk_for, reviewer

pytestmark = pytest.mark.django_db


def clerk(record: YearRecord):
    return clerk_for(record.project)


SERVICE = {
    ReviewAction.SUBMIT: lambda r: services.year_record_submit(
        record=r, actor=clerk(r)
    ),
    ReviewAction.APPROVE: lambda r: services.year_record_approve(
        record=r, actor=reviewer()
    ),
    ReviewAction.RETURN: lambda r: services.year_record_return(
        record=r, actor=reviewer(), reason="投资数据与台账不符"
    ),
    ReviewAction.REOPEN: lambda r: services.year_record_reopen(
        record=r, actor=reviewer(), reason="统计口径调整"
    ),
}
ROLE_OF = {
    ReviewAction.SUBMIT: "t-clerk-",
    ReviewAction.APPROVE: "t-reviewer",
    ReviewAction.RETURN: "t-reviewer",
    ReviewAction.REOPEN: "t-reviewer",
}


def record_in(state: ReviewState) -> YearRecord:
    record = YearRecord.objects.select_related("project").get(
        project__code="t3-010", year=2026
    )
    YearRecord.objects.filter(pk=record.pk).update(
        state=state, phase=Phase.UNDER_CONSTRUCTION, percent_complete=Decimal("40")
    )
    record.refresh_from_db()
    return record


def history(record: YearRecord):
    return AuditEntry.objects.filter(
        content_type__model="yearrecord", object_id=str(record.pk)
    ).order_by("id")


ALLOWED = [(t.action, t.source, t.target) for t in review.REVIEW_TRANSITIONS]
FORBIDDEN = [
    (action, state)
    for action, state in itertools.product(ReviewAction, ReviewState)
    if review.review_transition(action, state) is None
]


@pytest.mark.parametrize(("action", "source", "target"), ALLOWED)
def test_allowed_review_transition(action, source, target):
    record = record_in(source)
    before_version = record.version
    result = SERVICE[action](record)
    record.refresh_from_db()
    assert record.state == target == result.state
    assert record.version == before_version + 1
    entry = history(record).last()
    assert entry.action == AuditAction(str(action))
    assert entry.changes == {"state": [str(source), str(target)]}
    assert entry.actor.username.startswith(ROLE_OF[action])
    if action in (ReviewAction.RETURN, ReviewAction.REOPEN):
        assert entry.reason


@pytest.mark.parametrize(("action", "source"), FORBIDDEN)
def test_forbidden_review_transition(action, source):
    record = record_in(source)
    count = history(record).count()
    with pytest.raises(TransitionNotAllowed) as excinfo:
        SERVICE[action](record)
    record.refresh_from_db()
    assert record.state == source
    assert history(record).count() == count
    message = excinfo.value.message
    assert str(ReviewState(source).label) in message
    for allowed in review.allowed_review_actions(source):
        assert str(allowed.label) in message


def test_return_needs_a_reason():
    record = record_in(ReviewState.SUBMITTED)
    with pytest.raises(ValidationError) as excinfo:
        services.year_record_return(record=record, actor=reviewer(), reason="  ")
    assert "reason" in excinfo.value.message_dict
    record.refresh_from_db()
    assert record.state == ReviewState.SUBMITTED


def test_approved_record_is_read_only_until_reopened():
    record = record_in(ReviewState.APPROVED)
    with pytest.raises(TransitionNotAllowed):
        services.year_record_update(
            record=record, actor=clerk(record), data={"progress": "改一下"}
        )
    services.year_record_reopen(record=record, actor=reviewer(), reason="数据更正")
    services.year_record_update(
        record=record, actor=clerk(record), data={"progress": "改一下"}
    )
    record.refresh_from_db()
    assert record.progress == "改一下"
    assert record.state == ReviewState.DRAFT


PHASE_PAIRS = [
    (source, target)
    for source in [None, *Phase]
    for target in Phase
    if source != target
]


@pytest.mark.parametrize(("source", "target"), PHASE_PAIRS)
def test_phase_transition(source, target):
    record = YearRecord.objects.select_related("project").get(
        project__code="t6-002", year=2026
    )
    YearRecord.objects.filter(pk=record.pk).update(
        phase=source or "", state=ReviewState.DRAFT
    )
    Project.objects.filter(pk=record.project_id).update(phase=source or "")
    record.refresh_from_db()
    data = {"phase": target}
    if target in (Phase.COMPLETED, Phase.IN_OPERATION):
        data["percent_complete"] = Decimal("100")
    reason = "资金未到位" if target in workflow.PHASES_NEEDING_REASON else ""
    allowed = target in workflow.allowed_phases(source)
    if allowed:
        services.year_record_update(
            record=record, actor=clerk(record), data=data, reason=reason
        )
        record.refresh_from_db()
        assert record.phase == target
        assert Project.objects.get(pk=record.project_id).phase == target
        entry = history(record).last()
        assert entry.changes["phase"] == [source or "", str(target)]
        assert entry.reason == reason
    else:
        with pytest.raises(ValidationError) as excinfo:
            services.year_record_update(
                record=record, actor=clerk(record), data=data, reason=reason
            )
        assert "phase" in excinfo.value.message_dict
        record.refresh_from_db()
        assert record.phase == (source or "")


def test_cancelled_is_final_and_completed_never_goes_back():
    assert workflow.allowed_phases(Phase.CANCELLED) == frozenset()
    assert Phase.PREPARING not in workflow.allowed_phases(Phase.COMPLETED)


@pytest.mark.parametrize("target", sorted(workflow.PHASES_NEEDING_REASON))
def test_suspending_or_cancelling_needs_a_reason(target):
    record = YearRecord.objects.get(project__code="t6-003", year=2026)
    YearRecord.objects.filter(pk=record.pk).update(phase=Phase.UNDER_CONSTRUCTION)
    record.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        services.year_record_update(
            record=record, actor=clerk(record), data={"phase": target}
        )
    assert "reason" in excinfo.value.message_dict
