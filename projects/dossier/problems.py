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

from portfolio.authorization import Principal, authorize
from portfolio.choices import AuditAction, Role
from portfolio.exceptions import StaleWrite
from portfolio.models import Department
from portfolio.services import Actor, audit_log, diff
from projects.models import Project

from . import workflow
from .choices import (
    UNSOLVED_PROBLEM_STATES,
    ProblemAction,
    ProblemState,
)
from .health import HEALTH_ACTOR, health_refresh
from .models import CoordinationProblem, ProgressUpdate

# A due date outside these years is a typing error (1900, 9999), not a plan.
EARLIEST_DUE_YEAR = 2000
LATEST_DUE_YEAR = 2100


def _authorize_problem(
    actor: Actor | None, problem: CoordinationProblem, role: str
) -> Principal | None:
    """Scope: whoever covers the project, or belongs to the owning department.

    A person or a token (``portfolio.authorization``); reopening is a
    supervisor's act.
    """
    if role == "supervisor":
        return authorize(
            actor=actor,
            role=Role.SUPERVISOR,
            project=problem.project,
            scope_refusal=_("只有负责该项目的督查员可以执行此操作。"),
            role_refusal=_("只有负责该项目的督查员可以执行此操作。"),
        )
    principal = authorize(actor=actor, role=None)
    scope = principal.scope
    if not (
        scope.covers_project(problem.project)
        or scope.covers_department(problem.owner_department_id)
    ):
        raise PermissionDenied(_("该问题不在您的负责范围内。"))
    return principal


def _check_owner(
    principal: Principal | None, project: Project, owner: Department
) -> None:
    """A clerk names as owner its own department or the project's responsible
    unit; any other department is a supervisor's assignment."""
    if principal is None or principal.holds(Role.SUPERVISOR):
        return
    if owner.pk == project.department_id or principal.scope.covers_department(owner.pk):
        return
    raise ValidationError(
        {
            "owner_department": _(
                "牵头协调单位只能是您所在的单位或项目的责任单位；"
                "交由其他单位协调须由督查员指派。"
            )
        }
    )


def _check_due_date(project: Project, due_date: dt.date) -> None:
    """The due date lies between the project's start (2000 at the earliest)
    and the end of 2100."""
    first = max(project.start_year or EARLIEST_DUE_YEAR, EARLIEST_DUE_YEAR)
    if not dt.date(first, 1, 1) <= due_date <= dt.date(LATEST_DUE_YEAR, 12, 31):
        raise ValidationError(
            {
                "due_date": _(
                    "要求解决时限须在 %(first)s年1月1日 至 %(last)s年12月31日 之间"
                    "（不早于项目开工年份）。"
                )
                % {"first": first, "last": LATEST_DUE_YEAR}
            }
        )


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
    principal = authorize(actor=actor, role=None, project=project)
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
    _check_owner(principal, project, problem.owner_department)
    _check_due_date(project, problem.due_date)
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
    _check_due_date(locked.project, locked.due_date)
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
