"""The coordination list (问题清单): raise, assign, handle, solve, reopen problems.

Each problem moves along the small table in ``projects.dossier.workflow``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.choices import (
    AuditAction,
)
from portfolio.exceptions import StaleWrite
from portfolio.models import Department
from portfolio.selectors import is_administrator, is_supervisor, user_scope
from portfolio.services import Actor, audit_log, diff
from projects.models import Project
from projects.services import _is_person

from . import workflow
from .choices import (
    UNSOLVED_PROBLEM_STATES,
    ProblemAction,
    ProblemState,
)
from .health import HEALTH_ACTOR, health_refresh
from .models import CoordinationProblem, ProgressUpdate


def _authorize_problem(
    actor: Actor | None, problem: CoordinationProblem, role: str
) -> None:
    """Scope: whoever covers the project, or belongs to the owning department."""
    if not _is_person(actor) or is_administrator(actor):
        return
    scope = user_scope(actor)
    if role == "supervisor":
        if not is_supervisor(actor) or not scope.covers_project(problem.project):
            raise PermissionDenied(_("只有负责该项目的督查员可以执行此操作。"))
        return
    if not (
        scope.covers_project(problem.project)
        or problem.owner_department_id in scope.department_ids
    ):
        raise PermissionDenied(_("该问题不在您的负责范围内。"))


@transaction.atomic
def problem_raise(
    *,
    project: Project,
    actor: Actor | None,
    description: str,
    owner_department: Department | None = None,
    due_date: dt.date | None = None,
    progress_update: ProgressUpdate | None = None,
) -> CoordinationProblem:
    """Put a problem on the coordination list (问题清单), open.

    Owner department defaults to the project's responsible unit and the due date
    to ``settings.PROJECTS_PROBLEM_DUE_DAYS`` days from today; a supervisor can
    reassign both (``problem_assign``).
    """
    if _is_person(actor) and not user_scope(actor).covers_project(project):
        raise PermissionDenied(_("该项目不在您的负责范围内。"))
    today = timezone.localdate()
    problem = CoordinationProblem(
        project=project,
        progress_update=progress_update,
        description=(description or "").strip(),
        owner_department=owner_department or project.department,
        due_date=due_date
        or today + dt.timedelta(days=settings.PROJECTS_PROBLEM_DUE_DAYS),
        raised_on=today,
    )
    problem.full_clean()
    problem.save()
    audit_log(
        instance=problem,
        action=AuditAction.CREATE,
        actor=actor,
        changes=diff(
            {},
            {
                "description": problem.description,
                "owner_department": str(problem.owner_department),
                "due_date": problem.due_date.isoformat(),
            },
        ),
    )
    health_refresh(actor=HEALTH_ACTOR, project_ids=[project.pk])
    return problem


def _lock_problem(
    problem: CoordinationProblem, expected_version: int | None
) -> CoordinationProblem:
    locked = (
        CoordinationProblem.objects.select_for_update()
        .select_related("project", "owner_department")
        .get(pk=problem.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise StaleWrite(current_version=locked.version)
    return locked


@transaction.atomic
def problem_assign(
    *,
    problem: CoordinationProblem,
    actor: Actor | None,
    owner_department: Department | None = None,
    due_date: dt.date | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> CoordinationProblem:
    """A supervisor sets who coordinates an unsolved problem and by when."""
    locked = _lock_problem(problem, expected_version)
    _authorize_problem(actor, locked, "supervisor")
    if locked.state not in UNSOLVED_PROBLEM_STATES:
        raise ValidationError({"state": _("问题已解决，不能再调整责任单位或时限。")})
    before = {
        "owner_department": str(locked.owner_department),
        "due_date": locked.due_date.isoformat(),
    }
    if owner_department is not None:
        locked.owner_department = owner_department
    if due_date is not None:
        locked.due_date = due_date
    locked.full_clean()
    changes = diff(
        before,
        {
            "owner_department": str(locked.owner_department),
            "due_date": locked.due_date.isoformat(),
        },
    )
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    audit_log(
        instance=locked,
        action=AuditAction.UPDATE,
        actor=actor,
        changes=changes,
        reason=reason,
    )
    return locked


def _problem_move(
    *,
    problem: CoordinationProblem,
    actor: Actor | None,
    action: ProblemAction,
    text: str = "",
    expected_version: int | None = None,
) -> CoordinationProblem:
    locked = _lock_problem(problem, expected_version)
    transition = workflow.check_problem(action, ProblemState(locked.state))
    _authorize_problem(actor, locked, transition.role)
    if transition.reason_required and not text.strip():
        field = "resolution" if action == ProblemAction.SOLVE else "reason"
        message = (
            _("请填写解决情况。")
            if action == ProblemAction.SOLVE
            else _("请填写重新打开的原因。")
        )
        raise ValidationError({field: message})
    before_state = locked.state
    now = timezone.now()
    locked.state = transition.target
    changes: dict[str, list[Any]] = {"state": [before_state, locked.state]}
    if action == ProblemAction.HANDLE:
        locked.handling_since = now
    elif action == ProblemAction.SOLVE:
        locked.solved_at = now
        changes["resolution"] = [locked.resolution, text.strip()]
        locked.resolution = text.strip()
    elif action == ProblemAction.REOPEN:
        locked.solved_at = None
        locked.handling_since = None
    locked.version += 1
    locked.full_clean()
    locked.save()
    audit_log(
        instance=locked,
        action=AuditAction.UPDATE,
        actor=actor,
        changes=changes,
        reason=text.strip() if action == ProblemAction.REOPEN else "",
    )
    health_refresh(actor=HEALTH_ACTOR, project_ids=[locked.project_id])
    return locked


@transaction.atomic
def problem_handle(
    *,
    problem: CoordinationProblem,
    actor: Actor | None,
    expected_version: int | None = None,
) -> CoordinationProblem:
    """The owner starts coordinating an open problem (待协调 → 协调中)."""
    return _problem_move(
        problem=problem,
        actor=actor,
        action=ProblemAction.HANDLE,
        expected_version=expected_version,
    )


@transaction.atomic
def problem_solve(
    *,
    problem: CoordinationProblem,
    actor: Actor | None,
    resolution: str,
    expected_version: int | None = None,
) -> CoordinationProblem:
    """A problem being handled is solved, saying how (协调中 → 已解决)."""
    return _problem_move(
        problem=problem,
        actor=actor,
        action=ProblemAction.SOLVE,
        text=resolution,
        expected_version=expected_version,
    )


@transaction.atomic
def problem_reopen(
    *,
    problem: CoordinationProblem,
    actor: Actor | None,
    reason: str,
    expected_version: int | None = None,
) -> CoordinationProblem:
    """A supervisor reopens a problem that is not solved after all (已解决 → 待协调)."""
    return _problem_move(
        problem=problem,
        actor=actor,
        action=ProblemAction.REOPEN,
        text=reason,
        expected_version=expected_version,
    )
