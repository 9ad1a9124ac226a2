"""The review mechanism shared by every reviewed record.

Year records and indicator values move along the one table below (draft →
submitted → approved, returned, reopened); every service asks it, nothing else
decides what is allowed. ``review_act`` is the one review service: each app's
named services (``year_record_submit``, ``indicator_value_approve``…) call it with
how to lock and authorize their own record. ``not_editable_error`` is the one
"cannot be changed in this state" refusal, for services, the API and the import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .authorization import Principal, check_not_own_submission, principal_of
from .choices import EDITABLE_STATES, AuditAction, ReviewAction, ReviewState, Role
from .exceptions import StaleWrite, TransitionNotAllowed
from .models import ReviewedModel
from .services import Actor, audit_log

M = TypeVar("M", bound=models.Model)
R = TypeVar("R", bound=ReviewedModel)


@dataclass(frozen=True)
class ReviewTransition:
    action: ReviewAction
    source: ReviewState
    target: ReviewState
    # Who may do it: a clerk (of the record's own department) or a supervisor.
    role: Role
    reason_required: bool = False


REVIEW_TRANSITIONS: tuple[ReviewTransition, ...] = (
    ReviewTransition(
        ReviewAction.SUBMIT, ReviewState.DRAFT, ReviewState.SUBMITTED, Role.CLERK
    ),
    ReviewTransition(
        ReviewAction.SUBMIT, ReviewState.RETURNED, ReviewState.SUBMITTED, Role.CLERK
    ),
    ReviewTransition(
        ReviewAction.APPROVE,
        ReviewState.SUBMITTED,
        ReviewState.APPROVED,
        Role.SUPERVISOR,
    ),
    ReviewTransition(
        ReviewAction.RETURN,
        ReviewState.SUBMITTED,
        ReviewState.RETURNED,
        Role.SUPERVISOR,
        reason_required=True,
    ),
    ReviewTransition(
        ReviewAction.REOPEN,
        ReviewState.APPROVED,
        ReviewState.DRAFT,
        Role.SUPERVISOR,
        reason_required=True,
    ),
)


def review_transition(
    action: ReviewAction, source: ReviewState
) -> ReviewTransition | None:
    for transition in REVIEW_TRANSITIONS:
        if transition.action == action and transition.source == source:
            return transition
    return None


def allowed_review_actions(source: ReviewState) -> list[ReviewAction]:
    return [t.action for t in REVIEW_TRANSITIONS if t.source == source]


def review_kind(instance: models.Model) -> str:
    """What the record is called in messages: its model's name (“年度记录”…)."""
    return str(instance._meta.verbose_name)


def _allowed_text(allowed: list[ReviewAction]) -> str:
    return str(_("、")).join(str(ReviewAction(a).label) for a in allowed) or str(
        _("无")
    )


def check_review(
    action: ReviewAction, source: ReviewState, *, kind: str | None = None
) -> ReviewTransition:
    """The transition for ``action`` from ``source``, or TransitionNotAllowed.

    The refusal names the record's ``kind`` (``review_kind``), its state and the
    actions the table allows from it.
    """
    transition = review_transition(action, source)
    if transition is None:
        allowed = allowed_review_actions(source)
        raise TransitionNotAllowed(
            str(
                _(
                    "%(kind)s当前状态为“%(state)s”，不能“%(action)s”；"
                    "可执行的操作：%(allowed)s。"
                )
            )
            % {
                "kind": kind or str(_("记录")),
                "state": ReviewState(source).label,
                "action": ReviewAction(action).label,
                "allowed": _allowed_text(allowed),
            },
            state=str(source),
            allowed=[str(a) for a in allowed],
        )
    return transition


# --- Not editable in this state -----------------------------------------------


def is_editable(instance: ReviewedModel) -> bool:
    """Whether the clerk may still change the record's figures (draft, returned)."""
    return instance.state in EDITABLE_STATES


def not_editable_error(instance: ReviewedModel) -> TransitionNotAllowed:
    """The refusal to change ``instance`` in its state: kind, state, what next.

    Names the actions the table allows from the state and, where one of them
    reopens the figures (return, reopen), who does it.
    """
    state = ReviewState(instance.state)
    allowed = allowed_review_actions(state)
    message = str(
        _("%(kind)s当前状态为“%(state)s”，不能修改；可执行的操作：%(allowed)s。")
    ) % {
        "kind": review_kind(instance),
        "state": state.label,
        "allowed": _allowed_text(allowed),
    }
    unlocking = [
        t
        for t in REVIEW_TRANSITIONS
        if t.source == state and t.target in EDITABLE_STATES
    ]
    if unlocking:
        message += str(_("如需更正，请由%(role)s“%(action)s”。")) % {
            "role": Role(unlocking[0].role).label,
            "action": str(_("、")).join(str(t.action.label) for t in unlocking),
        }
    return TransitionNotAllowed(
        message, state=str(state), allowed=[str(a) for a in allowed]
    )


def check_editable(instance: ReviewedModel) -> None:
    """Raise ``not_editable_error`` unless the record is draft or returned."""
    if not is_editable(instance):
        raise not_editable_error(instance)


# --- Locking and applying -------------------------------------------------------


def lock_for_write(
    instance: M,
    *,
    expected_version: int | None = None,
    queryset: models.QuerySet[M] | None = None,
) -> M:
    """The row of ``instance`` again, locked (select_for_update) for this transaction.

    ``queryset`` says what to load with it (``select_related`` for authorizing);
    ``expected_version``, when given, must be the row's version or the write is
    stale (``StaleWrite``). Call inside a transaction.
    """
    if queryset is None:
        queryset = type(instance)._default_manager.all()
    locked = queryset.select_for_update().get(pk=instance.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleWrite(current_version=locked.version)
    return locked


def check_reason(transition: ReviewTransition, reason: str) -> None:
    """Return and reopen need a reason; the others do not."""
    if transition.reason_required and not reason.strip():
        raise ValidationError({"reason": _("请填写原因。")})


def review_apply(
    *,
    instance: ReviewedModel,
    transition: ReviewTransition,
    actor: Actor | None,
    reason: str,
) -> None:
    """Move a reviewed record (year record, indicator value) along ``transition``.

    The record is locked and authorized by the caller (``review_act``), inside its
    transaction. Sets the timestamps, bumps the version, saves and writes the
    history row.
    """
    check_reason(transition, reason)
    before_state = instance.state
    now = timezone.now()
    instance.state = transition.target
    if transition.action == ReviewAction.SUBMIT:
        instance.submitted_at = now
    elif transition.action == ReviewAction.APPROVE:
        instance.approved_at = now
    elif transition.action == ReviewAction.RETURN:
        instance.returned_at = now
        instance.return_reason = reason
    elif transition.action == ReviewAction.REOPEN:
        instance.approved_at = None
    instance.version += 1
    instance.save()
    audit_log(
        instance=instance,
        action=AuditAction(str(transition.action)),
        actor=actor,
        changes={"state": [before_state, instance.state]},
        reason=reason,
    )


# Authorizes ``actor`` to act on the locked record in the transition's role
# (``portfolio.authorization.authorize`` with the record's project or
# department), raising PermissionDenied otherwise.
Authorize = Callable[[Actor | None, R, Role], Principal | None]

# The acts that judge someone else's submission: never the submitter's own.
REVIEWING_ACTIONS = frozenset({ReviewAction.APPROVE, ReviewAction.RETURN})


@transaction.atomic
def review_act(
    *,
    instance: R,
    action: ReviewAction,
    actor: Actor | None,
    authorize: Authorize[R],
    reason: str = "",
    expected_version: int | None = None,
    queryset: models.QuerySet[R] | None = None,
    validate_submit: Callable[[R], None] | None = None,
) -> R:
    """Take ``action`` on a reviewed record: the one review service.

    In one transaction: lock the row (``queryset`` says what to load with it) and
    refuse a stale ``expected_version`` (``StaleWrite``); find the transition in
    the table (``TransitionNotAllowed`` naming the kind, the state and the allowed
    actions); ``authorize(actor, record, role)`` with the transition's role;
    on approve and return, refuse the actor who made the last submission
    (separation of duties, read from the audit trail); require a reason for
    return and reopen; on submit, ``validate_submit(record)``
    (``ValidationError`` when the record is incomplete); then apply it
    (timestamps, version, history row). Returns the locked, updated record.
    """
    record = lock_for_write(
        instance, expected_version=expected_version, queryset=queryset
    )
    transition = check_review(
        action, ReviewState(record.state), kind=review_kind(record)
    )
    authorize(actor, record, transition.role)
    if transition.action in REVIEWING_ACTIONS:
        check_not_own_submission(principal_of(actor), record)
    check_reason(transition, reason)
    if transition.action == ReviewAction.SUBMIT and validate_submit is not None:
        validate_submit(record)
    review_apply(instance=record, transition=transition, actor=actor, reason=reason)
    return record
