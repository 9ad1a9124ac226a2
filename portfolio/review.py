"""The review mechanism shared by every reviewed record.

Year records, indicator values and progress updates all move along the one table
below (draft → submitted → approved, returned, reopened); every service asks it,
nothing else decides what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import AuditAction, ReviewAction, ReviewState
from .exceptions import TransitionNotAllowed
from .services import audit_log


@dataclass(frozen=True)
class ReviewTransition:
    action: ReviewAction
    source: ReviewState
    target: ReviewState
    # Who may do it: "clerk" (the record's own department) or "supervisor".
    role: str
    reason_required: bool = False


REVIEW_TRANSITIONS: tuple[ReviewTransition, ...] = (
    ReviewTransition(
        ReviewAction.SUBMIT, ReviewState.DRAFT, ReviewState.SUBMITTED, "clerk"
    ),
    ReviewTransition(
        ReviewAction.SUBMIT, ReviewState.RETURNED, ReviewState.SUBMITTED, "clerk"
    ),
    ReviewTransition(
        ReviewAction.APPROVE, ReviewState.SUBMITTED, ReviewState.APPROVED, "supervisor"
    ),
    ReviewTransition(
        ReviewAction.RETURN,
        ReviewState.SUBMITTED,
        ReviewState.RETURNED,
        "supervisor",
        reason_required=True,
    ),
    ReviewTransition(
        ReviewAction.REOPEN,
        ReviewState.APPROVED,
        ReviewState.DRAFT,
        "supervisor",
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


def check_review(action: ReviewAction, source: ReviewState) -> ReviewTransition:
    """The transition for ``action`` from ``source``, or TransitionNotAllowed."""
    transition = review_transition(action, source)
    if transition is None:
        allowed = allowed_review_actions(source)
        allowed_text = "、".join(str(a.label) for a in allowed) or str(_("无"))
        raise TransitionNotAllowed(
            str(
                _(
                    "年度记录当前状态为“%(state)s”，不能“%(action)s”；可执行的操作：%(allowed)s。"
                )
            )
            % {
                "state": ReviewState(source).label,
                "action": ReviewAction(action).label,
                "allowed": allowed_text,
            },
            state=str(source),
            allowed=[str(a) for a in allowed],
        )
    return transition


def review_apply(*, instance, transition: ReviewTransition, actor, reason: str) -> None:
    """Move a reviewed object (year record, indicator value) along ``transition``.

    The object has ``state``, ``version`` and the review timestamps; it is locked
    and authorized by the calling service, which runs inside its transaction.
    Sets the timestamps, bumps the version, saves and writes the history row.
    """
    if transition.reason_required and not reason.strip():
        raise ValidationError({"reason": _("请填写原因。")})
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
