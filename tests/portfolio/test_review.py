"""The one review service (``portfolio.review``) on both reviewed records.

``review_act`` is called directly, with a recording ``authorize``, on a year record
and on an indicator value: the one table, stale writes, the refusal's wording,
reasons, timestamps, the history row and the "not editable" refusal.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from indicators.models import Indicator, IndicatorValue
from portfolio import review
from portfolio.choices import AuditAction, ReviewAction, ReviewState
from portfolio.exceptions import StaleWrite, TransitionNotAllowed
from portfolio.models import AuditEntry, ReviewedModel
from projects.choices import Phase
from projects.models import YearRecord

pytestmark = pytest.mark.django_db

ACTOR = "测试 review"
REASON = {ReviewAction.RETURN: "数据有误", ReviewAction.REOPEN: "统计口径调整"}
FORBIDDEN = [
    (action, state)
    for action, state in itertools.product(ReviewAction, ReviewState)
    if review.review_transition(action, state) is None
]


def year_record(state: ReviewState = ReviewState.DRAFT) -> YearRecord:
    record = YearRecord.objects.get(project__code="t3-010", year=2026)
    YearRecord.objects.filter(pk=record.pk).update(
        state=state, phase=Phase.UNDER_CONSTRUCTION, percent_complete=Decimal("40")
    )
    record.refresh_from_db()
    return record


def indicator_value(state: ReviewState = ReviewState.DRAFT) -> IndicatorValue:
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    return IndicatorValue.objects.create(
        indicator=indicator,
        year=2022,
        department=indicator.department,
        value=Decimal("19"),
        state=state,
    )


RECORDS = {"年度记录": year_record, "指标年度值": indicator_value}


@pytest.fixture(params=list(RECORDS), ids=["year_record", "indicator_value"])
def kind(request) -> str:
    """Each reviewed record, by the name its messages give it."""
    return request.param


@pytest.fixture
def make(kind):
    """Builds a reviewed record of ``kind`` in a given state."""
    return RECORDS[kind]


class Recorder:
    """An ``authorize`` that remembers its calls and may refuse."""

    def __init__(self, refuse: bool = False):
        self.calls: list[tuple[object, object, str]] = []
        self.refuse = refuse

    def __call__(self, actor, instance, role: str) -> None:
        self.calls.append((actor, instance, role))
        if self.refuse:
            raise PermissionDenied("不在范围内")


def act(instance, action: ReviewAction, **kwargs):
    kwargs.setdefault("actor", ACTOR)
    kwargs.setdefault("authorize", Recorder())
    kwargs.setdefault("reason", REASON.get(action, ""))
    return review.review_act(instance=instance, action=action, **kwargs)


def entries(instance):
    """The record's history rows written by these tests (not the plan's load)."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        actor_label=ACTOR,
    ).order_by("id")


# --- The one table -------------------------------------------------------------


@pytest.mark.parametrize(
    "transition", review.REVIEW_TRANSITIONS, ids=lambda t: f"{t.action}-{t.source}"
)
def test_every_transition_of_the_table(make, transition):
    instance = make(transition.source)
    version, count = instance.version, entries(instance).count()
    authorize = Recorder()
    result = act(instance, transition.action, authorize=authorize)
    instance.refresh_from_db()
    assert result.state == instance.state == transition.target
    assert instance.version == version + 1
    # Authorized once, on the locked row, in the transition's own role.
    [(actor, locked, role)] = authorize.calls
    assert (actor, locked.pk, role) == (ACTOR, instance.pk, transition.role)
    assert entries(instance).count() == count + 1


@pytest.mark.parametrize(("action", "source"), FORBIDDEN)
def test_refusal_names_kind_state_and_allowed_actions(make, kind, action, source):
    instance = make(source)
    version, count = instance.version, entries(instance).count()
    authorize = Recorder()
    with pytest.raises(TransitionNotAllowed) as refused:
        act(instance, action, authorize=authorize)
    allowed = review.allowed_review_actions(source)
    message = refused.value.message
    assert message.startswith(f"{kind}当前状态为“{ReviewState(source).label}”")
    assert f"不能“{ReviewAction(action).label}”" in message
    assert message.endswith(
        "可执行的操作：" + "、".join(str(a.label) for a in allowed) + "。"
    )
    assert refused.value.state == source
    assert refused.value.allowed == [str(a) for a in allowed]
    # Refused before anyone is asked, and nothing is written.
    assert authorize.calls == []
    instance.refresh_from_db()
    assert (instance.state, instance.version) == (source, version)
    assert entries(instance).count() == count


def test_check_review_names_a_record_when_no_kind_is_given():
    with pytest.raises(TransitionNotAllowed) as refused:
        review.check_review(ReviewAction.SUBMIT, ReviewState.APPROVED)
    assert refused.value.message == (
        "记录当前状态为“已审核”，不能“提交”；可执行的操作：重新打开。"
    )


def test_a_state_with_no_way_out_says_none():
    """The table has none today; the wording is ready for one."""
    assert review._allowed_text([]) == "无"


# --- Optimistic locking ---------------------------------------------------------


def test_stale_version_is_refused_and_nothing_changes(make):
    instance = make(ReviewState.DRAFT)
    version = instance.version
    with pytest.raises(StaleWrite) as stale:
        act(instance, ReviewAction.SUBMIT, expected_version=version - 1)
    assert stale.value.current_version == version
    assert str(version) in str(stale.value)
    instance.refresh_from_db()
    assert (instance.state, instance.version) == (ReviewState.DRAFT, version)


def test_current_version_is_accepted(make):
    instance = make(ReviewState.DRAFT)
    result = act(instance, ReviewAction.SUBMIT, expected_version=instance.version)
    assert result.state == ReviewState.SUBMITTED


def test_the_row_is_read_again_not_the_callers_copy(make):
    instance = make(ReviewState.DRAFT)
    type(instance).objects.filter(pk=instance.pk).update(
        state=ReviewState.SUBMITTED, version=instance.version + 1
    )
    # The caller's copy still says draft; the row says submitted.
    with pytest.raises(TransitionNotAllowed, match="已提交"):
        act(instance, ReviewAction.SUBMIT)
    with pytest.raises(StaleWrite):
        act(instance, ReviewAction.APPROVE, expected_version=instance.version)


def test_lock_for_write_loads_what_the_queryset_says():
    record = year_record()
    locked = review.lock_for_write(
        record, queryset=YearRecord.objects.select_related("project")
    )
    assert locked is not record and locked.pk == record.pk
    assert "project" in locked._state.fields_cache


# --- Authorization, reasons, submit checks ---------------------------------------


def test_authorization_refused_changes_nothing(make):
    instance = make(ReviewState.SUBMITTED)
    with pytest.raises(PermissionDenied):
        act(instance, ReviewAction.APPROVE, authorize=Recorder(refuse=True))
    instance.refresh_from_db()
    assert instance.state == ReviewState.SUBMITTED
    assert entries(instance).count() == 0


@pytest.mark.parametrize(
    ("action", "source"),
    [
        (ReviewAction.RETURN, ReviewState.SUBMITTED),
        (ReviewAction.REOPEN, ReviewState.APPROVED),
    ],
)
@pytest.mark.parametrize("reason", ["", "  \n"])
def test_return_and_reopen_need_a_reason(make, action, source, reason):
    instance = make(source)
    with pytest.raises(ValidationError) as refused:
        act(instance, action, reason=reason)
    assert refused.value.message_dict == {"reason": ["请填写原因。"]}
    instance.refresh_from_db()
    assert instance.state == source
    assert entries(instance).count() == 0


def test_submit_and_approve_need_no_reason(make):
    instance = make(ReviewState.DRAFT)
    instance = act(instance, ReviewAction.SUBMIT, reason="")
    instance = act(instance, ReviewAction.APPROVE, reason="")
    assert instance.state == ReviewState.APPROVED


def test_validate_submit_runs_on_submit_only(make):
    seen = []

    def validate(instance):
        seen.append(instance.state)

    instance = make(ReviewState.SUBMITTED)
    act(instance, ReviewAction.RETURN, validate_submit=validate)
    assert seen == []
    act(instance, ReviewAction.SUBMIT, validate_submit=validate)
    # Checked before the state moves.
    assert seen == [ReviewState.RETURNED]


def test_an_incomplete_submission_is_refused(make):
    instance = make(ReviewState.DRAFT)

    def validate(instance):
        raise ValidationError({"source": "请填写数据来源。"})

    with pytest.raises(ValidationError):
        act(instance, ReviewAction.SUBMIT, validate_submit=validate)
    instance.refresh_from_db()
    assert instance.state == ReviewState.DRAFT
    assert instance.submitted_at is None


# --- What applying writes ---------------------------------------------------------


def test_timestamps_and_return_reason(make):
    instance = make(ReviewState.DRAFT)
    instance = act(instance, ReviewAction.SUBMIT)
    assert instance.submitted_at is not None
    instance = act(instance, ReviewAction.RETURN, reason="来源不清")
    assert instance.returned_at is not None
    assert instance.return_reason == "来源不清"
    instance = act(instance, ReviewAction.SUBMIT)
    instance = act(instance, ReviewAction.APPROVE)
    assert instance.approved_at is not None
    instance = act(instance, ReviewAction.REOPEN, reason="更正")
    instance.refresh_from_db()
    assert instance.state == ReviewState.DRAFT
    assert instance.approved_at is None


def test_history_row_says_who_what_and_why(make):
    instance = make(ReviewState.SUBMITTED)
    act(instance, ReviewAction.RETURN, reason="投资数据与台账不符")
    entry = entries(instance).get()
    assert entry.action == AuditAction.RETURN
    assert entry.actor_label == ACTOR
    assert entry.changes == {"state": ["submitted", "returned"]}
    assert entry.reason == "投资数据与台账不符"


def test_history_row_is_in_the_same_transaction(make):
    instance = make(ReviewState.DRAFT)
    with pytest.raises(RuntimeError), transaction.atomic():
        act(instance, ReviewAction.SUBMIT)
        assert entries(instance).count() == 1
        raise RuntimeError("the caller fails afterwards")
    instance.refresh_from_db()
    assert instance.state == ReviewState.DRAFT
    assert entries(instance).count() == 0


# --- Not editable in this state ---------------------------------------------------


@pytest.mark.parametrize(
    ("state", "allowed", "hint"),
    [
        (ReviewState.SUBMITTED, "审核通过、退回", "督查员“退回”"),
        (ReviewState.APPROVED, "重新打开", "督查员“重新打开”"),
    ],
)
def test_not_editable_error_names_kind_state_and_what_next(
    make, kind, state, allowed, hint
):
    instance = make(state)
    assert not review.is_editable(instance)
    error = review.not_editable_error(instance)
    assert error.message == (
        f"{kind}当前状态为“{state.label}”，不能修改；可执行的操作：{allowed}。"
        f"如需更正，请由{hint}。"
    )
    assert error.state == state
    assert error.allowed == [str(a) for a in review.allowed_review_actions(state)]
    with pytest.raises(TransitionNotAllowed) as raised:
        review.check_editable(instance)
    assert raised.value.message == error.message


@pytest.mark.parametrize("state", [ReviewState.DRAFT, ReviewState.RETURNED])
def test_draft_and_returned_are_editable(make, state):
    instance = make(state)
    assert review.is_editable(instance)
    review.check_editable(instance)


# --- The shared fields ------------------------------------------------------------


def test_both_reviewed_models_share_the_same_review_fields():
    names = [f.name for f in ReviewedModel._meta.fields]
    assert names == [
        "state",
        "submitted_at",
        "returned_at",
        "approved_at",
        "return_reason",
        "version",
    ]
    for model in (YearRecord, IndicatorValue):
        assert issubclass(model, ReviewedModel)
        for name in names:
            ours = ReviewedModel._meta.get_field(name).deconstruct()[1:]
            assert model._meta.get_field(name).deconstruct()[1:] == ours
