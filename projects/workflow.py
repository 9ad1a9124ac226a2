"""The one table of allowed transitions: review states and project phases.

Every service that changes a state or a phase asks this module; nothing else
decides what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Phase, ProblemAction, ProblemState, ReviewAction, ReviewState


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

# Phase changes a real project can make. Completed never goes back to preparing;
# cancelled is final; a suspended project resumes where it can.
PHASE_TRANSITIONS: dict[Phase | None, frozenset[Phase]] = {
    None: frozenset(
        {
            Phase.PREPARING,
            Phase.UNDER_CONSTRUCTION,
            Phase.COMPLETED,
            Phase.IN_OPERATION,
            Phase.SUSPENDED,
            Phase.CANCELLED,
        }
    ),
    Phase.PREPARING: frozenset(
        {Phase.UNDER_CONSTRUCTION, Phase.SUSPENDED, Phase.CANCELLED}
    ),
    Phase.UNDER_CONSTRUCTION: frozenset(
        {Phase.COMPLETED, Phase.SUSPENDED, Phase.CANCELLED}
    ),
    Phase.COMPLETED: frozenset({Phase.IN_OPERATION}),
    Phase.IN_OPERATION: frozenset(),
    Phase.SUSPENDED: frozenset(
        {Phase.PREPARING, Phase.UNDER_CONSTRUCTION, Phase.CANCELLED}
    ),
    Phase.CANCELLED: frozenset(),
}

# Entering these phases needs a written reason.
PHASES_NEEDING_REASON = frozenset({Phase.SUSPENDED, Phase.CANCELLED})


class TransitionNotAllowed(Exception):
    """The record's state (or the project's phase) does not allow this change."""

    def __init__(self, message: str, *, state: str, allowed: list[str]):
        super().__init__(message)
        self.message = message
        self.state = state
        self.allowed = allowed


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


def allowed_phases(source: Phase | None) -> frozenset[Phase]:
    return PHASE_TRANSITIONS[Phase(source) if source else None]


def check_phase(source: Phase | None, target: Phase) -> None:
    if source == target:
        return
    allowed = allowed_phases(source)
    if target not in allowed:
        source_label = Phase(source).label if source else _("未填报")
        allowed_text = "、".join(str(p.label) for p in sorted(allowed)) or str(_("无"))
        raise TransitionNotAllowed(
            str(_("项目阶段不能从“%(source)s”变为“%(target)s”；可变为：%(allowed)s。"))
            % {
                "source": source_label,
                "target": Phase(target).label,
                "allowed": allowed_text,
            },
            state=str(source or ""),
            allowed=[str(p) for p in sorted(allowed)],
        )


# --- Coordination problems (问题清单, issue 9): the second small table ----------
# open → being handled → solved; a solved problem may be reopened with a reason.
# "scope": anyone whose scope covers the project (clerk or supervisor).


@dataclass(frozen=True)
class ProblemTransition:
    action: ProblemAction
    source: ProblemState
    target: ProblemState
    role: str
    reason_required: bool = False


PROBLEM_TRANSITIONS: tuple[ProblemTransition, ...] = (
    ProblemTransition(
        ProblemAction.HANDLE, ProblemState.OPEN, ProblemState.HANDLING, "scope"
    ),
    ProblemTransition(
        ProblemAction.SOLVE,
        ProblemState.HANDLING,
        ProblemState.SOLVED,
        "scope",
        reason_required=True,
    ),
    ProblemTransition(
        ProblemAction.REOPEN,
        ProblemState.SOLVED,
        ProblemState.OPEN,
        "supervisor",
        reason_required=True,
    ),
)


def allowed_problem_actions(source: ProblemState) -> list[ProblemAction]:
    return [t.action for t in PROBLEM_TRANSITIONS if t.source == source]


def check_problem(action: ProblemAction, source: ProblemState) -> ProblemTransition:
    """The transition for ``action`` from ``source``, or TransitionNotAllowed."""
    for transition in PROBLEM_TRANSITIONS:
        if transition.action == action and transition.source == source:
            return transition
    allowed = allowed_problem_actions(source)
    allowed_text = "、".join(str(a.label) for a in allowed) or str(_("无"))
    raise TransitionNotAllowed(
        str(
            _(
                "问题当前状态为“%(state)s”，不能“%(action)s”；可执行的操作：%(allowed)s。"
            )
        )
        % {
            "state": ProblemState(source).label,
            "action": ProblemAction(action).label,
            "allowed": allowed_text,
        },
        state=str(source),
        allowed=[str(a) for a in allowed],
    )


def review_apply(*, instance, transition: ReviewTransition, actor, reason: str) -> None:
    """Move a reviewed object (year record, indicator value) along ``transition``.

    The object has ``state``, ``version`` and the review timestamps; it is locked
    and authorized by the calling service, which runs inside its transaction.
    Sets the timestamps, bumps the version, saves and writes the history row.
    """
    from portfolio.choices import AuditAction
    from portfolio.services import audit_log

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
