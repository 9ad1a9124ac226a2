"""The coordination problems' own small table: open → being handled → solved.

A solved problem may be reopened with a reason; "scope" means anyone whose scope
covers the project (clerk or supervisor).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from portfolio.exceptions import TransitionNotAllowed

from .choices import ProblemAction, ProblemState


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
    allowed_text = str(_("、")).join(str(a.label) for a in allowed) or str(_("无"))
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
