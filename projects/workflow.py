"""The phases a project can move between; the review table is in portfolio.review."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portfolio.exceptions import TransitionNotAllowed
from projects.choices import Phase

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


def allowed_phases(source: Phase | None) -> frozenset[Phase]:
    return PHASE_TRANSITIONS[Phase(source) if source else None]


def check_phase(source: Phase | None, target: Phase) -> None:
    if source == target:
        return
    allowed = allowed_phases(source)
    if target not in allowed:
        source_label = Phase(source).label if source else _("未填报")
        labels = [str(p.label) for p in sorted(allowed)]
        allowed_text = str(_("、")).join(labels) or str(_("无"))
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
