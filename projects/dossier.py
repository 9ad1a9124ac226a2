"""The project dossier (issue 9): money and people, in-year progress, problems.

Services (every write: keyword-only, atomic, ``full_clean`` then save, its own
history row) and the selectors that go with them:

- ``project_dossier_update``: total investment and its sources, owner unit,
  responsible leader, contact person and phone;
- ``progress_update_submit`` / ``progress_update_change``: one period's progress
  within a year record, feeding the year record's figures;
- ``problem_raise`` / ``problem_assign`` / ``problem_handle`` / ``problem_solve`` /
  ``problem_reopen``: the coordination list (问题清单);
- ``progress_updates_overdue(today)``: the missing updates, as overdue items.

Personal data: ``personal_fields()`` names the fields that public exports leave
out and that only people whose scope covers the project may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.choices import AuditAction, ProgressCadence
from portfolio.models import Department
from portfolio.selectors import is_administrator, is_supervisor, user_scope
from portfolio.services import Actor, audit_log, diff, snapshot

from . import workflow
from .choices import (
    EDITABLE_STATES,
    PROGRESS_EXEMPT_PHASES,
    UNSOLVED_PROBLEM_STATES,
    ProblemAction,
    ProblemState,
)
from .models import (
    CoordinationProblem,
    ProgressUpdate,
    Project,
    ProjectDossier,
    YearRecord,
)
from .services import StaleWrite, _authorize, _is_person, year_record_update

# --- Money and people ---------------------------------------------------------

DOSSIER_FIELDS = [
    "total_investment",
    *ProjectDossier.SOURCE_FIELDS,
    "owner_unit",
    "responsible_leader",
    "contact_person",
    "contact_phone",
]
# Personal data: shown only within the project's scope, never exported publicly,
# masked in the audit trail (which supervisors of other districts can read).
PERSONAL_FIELDS = ("contact_person", "contact_phone")


_CENT = Decimal("0.01")
_MONEY_FIELDS = {
    "total_investment",
    *ProjectDossier.SOURCE_FIELDS,
    "completed_investment",
    "cumulative_investment",
    "percent_complete",
}


def _plain_value(name: str, value: Any) -> Any:
    """Amounts to the cent (so 1000 and 1000.00 are one value); texts stripped."""
    if name in _MONEY_FIELDS and value is not None and value != "":
        try:
            return Decimal(str(value)).quantize(_CENT)
        except ArithmeticError:
            return value  # full_clean names the field
    if isinstance(value, str):
        return value.strip()
    return value


def personal_fields() -> tuple[str, ...]:
    """Dossier fields holding personal data; public exports must leave them out."""
    return PERSONAL_FIELDS


def mask_personal(name: str, value: Any) -> Any:
    """A value safe to show outside the project's scope: 张*、138****5678."""
    if name not in PERSONAL_FIELDS or not value:
        return value
    text = str(value)
    if name == "contact_phone":
        return text[:3] + "*" * max(len(text) - 7, 1) + text[-4:]
    return text[:1] + "*" * max(len(text) - 1, 1)


def may_see_personal_data(user, project: Project) -> bool:
    """Only people whose scope covers the project see its contacts in clear."""
    return user_scope(user).covers_project(project)


def dossier_for_display(dossier: ProjectDossier, user) -> dict[str, Any]:
    """The dossier's fields as ``user`` may see them (personal data masked)."""
    visible = may_see_personal_data(user, dossier.project)
    return {
        name: getattr(dossier, name)
        if visible
        else mask_personal(name, getattr(dossier, name))
        for name in DOSSIER_FIELDS
    }


@transaction.atomic
def project_dossier_update(
    *,
    project: Project,
    actor: Actor | None,
    data: dict[str, Any],
    expected_version: int | None = None,
    reason: str = "",
) -> ProjectDossier:
    """Set a project's money and people; the history is written on the project.

    Sources that do not add up to the total are refused with a message naming
    ``total_investment`` and the gap. Personal values are masked in the history.
    """
    unknown = set(data) - set(DOSSIER_FIELDS)
    if unknown:
        raise ValidationError({name: _("该字段不能修改。") for name in sorted(unknown)})
    _authorize(actor, project, role="clerk")
    dossier, _created = ProjectDossier.objects.select_for_update().get_or_create(
        project=project
    )
    if expected_version is not None and dossier.version != expected_version:
        raise StaleWrite(current_version=dossier.version)
    before = snapshot(dossier, DOSSIER_FIELDS)
    for name, value in data.items():
        if name in ProjectDossier.SOURCE_FIELDS and value is None:
            value = Decimal("0")
        setattr(dossier, name, _plain_value(name, value))
    dossier.full_clean()
    changes = diff(before, snapshot(dossier, DOSSIER_FIELDS))
    if not changes:
        return dossier
    dossier.version += 1
    dossier.save()
    audit_log(
        instance=project,
        action=AuditAction.UPDATE,
        actor=actor,
        changes={
            f"dossier.{name}": [mask_personal(name, old), mask_personal(name, new)]
            for name, (old, new) in changes.items()
        },
        reason=reason,
    )
    return dossier


# --- Reporting periods ----------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A reporting period: a month ("2026-03") or a quarter ("2026-Q1")."""

    key: str
    start: dt.date
    end: dt.date
    cadence: ProgressCadence

    @property
    def due_date(self) -> dt.date:
        """Default: the 5th of the month after the period's last month."""
        year, month = (
            (self.end.year + 1, 1)
            if self.end.month == 12
            else (self.end.year, self.end.month + 1)
        )
        return dt.date(year, month, settings.PROJECTS_PROGRESS_DUE_DAY)


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def periods_of_year(cadence: str, year: int) -> list[Period]:
    """The reporting periods of ``year`` under ``cadence``, in order."""
    if cadence == ProgressCadence.QUARTERLY:
        return [
            Period(
                f"{year}-Q{q}",
                dt.date(year, 3 * q - 2, 1),
                _month_end(year, 3 * q),
                ProgressCadence.QUARTERLY,
            )
            for q in range(1, 5)
        ]
    return [
        Period(
            f"{year}-{m:02d}",
            dt.date(year, m, 1),
            _month_end(year, m),
            ProgressCadence.MONTHLY,
        )
        for m in range(1, 13)
    ]


def period_parse(cadence: str, key: str) -> Period:
    """The period named ``key`` ("2026-03", "2026-Q1") under ``cadence``."""
    key = (key or "").strip().upper()
    year = key[:4]
    if year.isdigit():
        for period in periods_of_year(cadence, int(year)):
            if period.key.upper() == key:
                return period
    example = "2026-Q1" if cadence == ProgressCadence.QUARTERLY else "2026-03"
    raise ValidationError(
        {
            "period": _(
                "报告期“%(key)s”无效：本规划按%(cadence)s调度，格式如“%(ex)s”。"
            )
            % {
                "key": key,
                "cadence": ProgressCadence(cadence).label,
                "ex": example,
            }
        }
    )


# --- In-year progress -----------------------------------------------------------

PROGRESS_FIELDS = [
    "completed_investment",
    "cumulative_investment",
    "physical_progress",
    "percent_complete",
    "problems",
    "decrease_reason",
]
_TEXT = {"physical_progress", "problems", "decrease_reason"}


def _neighbours(
    update: ProgressUpdate,
) -> tuple[ProgressUpdate | None, ProgressUpdate | None]:
    """The project's updates just before and after ``update`` (any year)."""
    project_id = update.year_record.project_id
    others = ProgressUpdate.objects.filter(
        year_record__project_id=project_id
    ).select_related("year_record")
    if update.pk:
        others = others.exclude(pk=update.pk)
    before = (
        others.filter(period_start__lt=update.period_start)
        .order_by("-period_start")
        .first()
    )
    after = (
        others.filter(period_start__gt=update.period_start)
        .order_by("period_start")
        .first()
    )
    return before, after


def _check_never_decreasing(update: ProgressUpdate) -> None:
    """Cumulative figures never go down from one period to the next without a reason.

    The year's cumulative investment restarts each year; the physical progress
    percentage runs over the whole project.
    """
    if update.decrease_reason.strip():
        return
    before, after = _neighbours(update)
    errors: dict[str, str] = {}
    same_year = update.year_record_id
    if (
        before is not None
        and before.year_record_id == same_year
        and update.cumulative_investment < before.cumulative_investment
    ):
        errors["cumulative_investment"] = _(
            "本年累计完成投资 %(new)s 万元低于上期（%(period)s）的 %(old)s 万元；"
            "累计数不能减少，确需调整请填写“累计数下降原因”。"
        ) % {
            "new": update.cumulative_investment,
            "period": before.period,
            "old": before.cumulative_investment,
        }
    if (
        after is not None
        and after.year_record_id == same_year
        and update.cumulative_investment > after.cumulative_investment
    ):
        errors["cumulative_investment"] = _(
            "本年累计完成投资 %(new)s 万元高于下一期（%(period)s）的 %(old)s 万元，"
            "会使下一期累计数减少；确需调整请填写“累计数下降原因”。"
        ) % {
            "new": update.cumulative_investment,
            "period": after.period,
            "old": after.cumulative_investment,
        }
    if before is not None and update.percent_complete < before.percent_complete:
        errors["percent_complete"] = _(
            "形象进度 %(new)s%% 低于上期（%(period)s）的 %(old)s%%；"
            "进度不能倒退，确需调整请填写“累计数下降原因”。"
        ) % {
            "new": update.percent_complete,
            "period": before.period,
            "old": before.percent_complete,
        }
    if after is not None and update.percent_complete > after.percent_complete:
        errors["percent_complete"] = _(
            "形象进度 %(new)s%% 高于下一期（%(period)s）的 %(old)s%%，"
            "会使下一期进度倒退；确需调整请填写“累计数下降原因”。"
        ) % {
            "new": update.percent_complete,
            "period": after.period,
            "old": after.percent_complete,
        }
    if errors:
        raise ValidationError(errors)


def _check_record_open(record: YearRecord) -> None:
    if record.state not in EDITABLE_STATES:
        raise ValidationError(
            {
                "year_record": _(
                    "%(year)s年度报告已提交或已审核，本年度的进度更新已关闭；"
                    "如需更正请由督查员重新打开年度记录。"
                )
                % {"year": record.year}
            }
        )


def _is_latest_of_year(update: ProgressUpdate) -> bool:
    return not ProgressUpdate.objects.filter(
        year_record_id=update.year_record_id, period_start__gt=update.period_start
    ).exists()


def _feed_year_record(update: ProgressUpdate, actor: Actor | None) -> None:
    """The latest update of the year sets the year record's actual and percent."""
    if not _is_latest_of_year(update):
        return
    year_record_update(
        record=update.year_record,
        actor=actor,
        data={
            "actual_investment": update.cumulative_investment,
            "percent_complete": update.percent_complete,
        },
        reason=str(_("由%(period)s进度更新同步")) % {"period": update.period}
        + (f"：{update.decrease_reason}" if update.decrease_reason else ""),
    )


def _raise_from_update(
    update: ProgressUpdate, actor: Actor | None, before_problems: str
) -> None:
    """A problem written in an update becomes an item of the coordination list.

    Editing the text while the item is still open edits the item instead of
    raising a second one.
    """
    text = update.problems.strip()
    if not text or text == before_problems.strip():
        return
    still_open = (
        update.raised_problems.filter(state=ProblemState.OPEN).order_by("-id").first()
    )
    if still_open is not None:
        before = snapshot(still_open, ["description"])
        still_open.description = text
        still_open.version += 1
        still_open.full_clean()
        still_open.save()
        audit_log(
            instance=still_open,
            action=AuditAction.UPDATE,
            actor=actor,
            changes=diff(before, snapshot(still_open, ["description"])),
            reason=str(_("随%(period)s进度更新修改")) % {"period": update.period},
        )
        return
    problem_raise(
        project=update.year_record.project,
        actor=actor,
        description=text,
        progress_update=update,
    )


def _refresh_health(project_ids: list[int]) -> None:
    from .health import health_refresh

    health_refresh(project_ids=project_ids, actor="系统 红绿灯")


@transaction.atomic
def progress_update_submit(
    *,
    year_record: YearRecord,
    period: str,
    actor: Actor | None,
    data: dict[str, Any],
    today: dt.date | None = None,
) -> ProgressUpdate:
    """A clerk reports one period's progress (月度/季度调度) of a year record.

    ``cumulative_investment`` defaults to the previous period's plus this
    period's completed investment. The latest update of the year feeds the year
    record (actual investment, percent complete); a problem written in it is
    raised on the coordination list.
    """
    today = today or timezone.localdate()
    unknown = set(data) - set(PROGRESS_FIELDS)
    if unknown:
        raise ValidationError({name: _("该字段不能修改。") for name in sorted(unknown)})
    record = (
        YearRecord.objects.select_for_update()
        .select_related("project", "project__plan")
        .get(pk=year_record.pk)
    )
    _authorize(actor, record.project, role="clerk")
    _check_record_open(record)
    cadence = record.project.plan.progress_cadence
    found = period_parse(cadence, period)
    if found.start.year != record.year:
        raise ValidationError(
            {
                "period": _("报告期 %(key)s 不属于 %(year)s 年度记录。")
                % {"key": found.key, "year": record.year}
            }
        )
    if found.start > today:
        raise ValidationError(
            {
                "period": _("报告期 %(key)s 尚未开始，不能提前填报。")
                % {"key": found.key}
            }
        )
    if ProgressUpdate.objects.filter(year_record=record, period=found.key).exists():
        raise ValidationError(
            {
                "period": _("%(key)s 的进度更新已报送，请修改已有记录。")
                % {"key": found.key}
            }
        )
    update = ProgressUpdate(
        year_record=record,
        period=found.key,
        cadence=cadence,
        period_start=found.start,
        period_end=found.end,
        due_date=found.due_date,
        submitted_at=timezone.now(),
        submitted_by=actor if _is_person(actor) else None,
    )
    for name, value in data.items():
        value = "" if value is None and name in _TEXT else value
        setattr(update, name, _plain_value(name, value))
    if update.completed_investment is None:
        update.completed_investment = Decimal("0")
    if data.get("cumulative_investment") is None:
        previous, _next = _neighbours(update)
        carried = (
            previous.cumulative_investment
            if previous is not None and previous.year_record_id == record.pk
            else Decimal("0")
        )
        update.cumulative_investment = carried + update.completed_investment
    update.full_clean()
    _check_never_decreasing(update)
    update.save()
    audit_log(
        instance=update,
        action=AuditAction.CREATE,
        actor=actor,
        changes=diff({}, snapshot(update, ["period", *PROGRESS_FIELDS])),
        reason=update.decrease_reason,
    )
    _raise_from_update(update, actor, before_problems="")
    _feed_year_record(update, actor)
    _refresh_health([record.project_id])
    return update


@transaction.atomic
def progress_update_change(
    *,
    update: ProgressUpdate,
    actor: Actor | None,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> ProgressUpdate:
    """Correct a filed progress update (its year record still open).

    The same rules as a new one: cumulative figures never decrease without a
    reason; the year's latest update feeds the year record.
    """
    unknown = set(data) - set(PROGRESS_FIELDS)
    if unknown:
        raise ValidationError({name: _("该字段不能修改。") for name in sorted(unknown)})
    locked = (
        ProgressUpdate.objects.select_for_update()
        .select_related("year_record", "year_record__project")
        .get(pk=update.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise StaleWrite(current_version=locked.version)
    _authorize(actor, locked.year_record.project, role="clerk")
    _check_record_open(locked.year_record)
    before = snapshot(locked, PROGRESS_FIELDS)
    for name, value in data.items():
        value = "" if value is None and name in _TEXT else value
        setattr(locked, name, _plain_value(name, value))
    locked.full_clean()
    changes = diff(before, snapshot(locked, PROGRESS_FIELDS))
    if not changes:
        return locked
    _check_never_decreasing(locked)
    locked.version += 1
    locked.save()
    audit_log(
        instance=locked,
        action=AuditAction.UPDATE,
        actor=actor,
        changes=changes,
        reason=locked.decrease_reason,
    )
    _raise_from_update(locked, actor, before_problems=before["problems"])
    if {"cumulative_investment", "percent_complete"} & set(changes):
        _feed_year_record(locked, actor)
    _refresh_health([locked.year_record.project_id])
    return locked


@dataclass(frozen=True)
class OverdueProgress:
    """A progress update owed and past its due date: one overdue item.

    ``key`` is stable across runs, so whoever sends notices can send one per item.
    """

    year_record_id: int
    project_id: int
    period: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date

    @property
    def key(self) -> str:
        return f"progress-update:{self.year_record_id}:{self.period}"

    def days_overdue(self, today: dt.date) -> int:
        return (today - self.due_date).days


def progress_updates_owed(
    today: dt.date, *, project_ids=None
) -> tuple[list[dict], set[tuple[int, str]]]:
    """The year records that owe updates and the periods already filed: 2 queries."""
    records = YearRecord.objects.filter(
        year__gte=today.year - 1,
        year__lte=today.year,
        state__in=EDITABLE_STATES,
    ).exclude(phase__in=PROGRESS_EXEMPT_PHASES)
    if project_ids is not None:
        records = records.filter(project_id__in=project_ids)
    rows = list(
        records.values("id", "project_id", "year", "project__plan__progress_cadence")
    )
    filed = set(
        ProgressUpdate.objects.filter(year_record__in=records).values_list(
            "year_record_id", "period"
        )
    )
    return rows, filed


def progress_updates_overdue(
    today: dt.date, *, project_ids=None
) -> list[OverdueProgress]:
    """Every progress update owed and missing after its due date, as of ``today``.

    Set-based: two queries whatever the number of projects. Owed by the year
    records of this year and last year that are still open (draft or returned:
    once the yearly report is submitted it speaks for the year), whose phase
    still builds something (not finished, cancelled or suspended), for each
    period of the plan's cadence that ends on or after
    ``settings.PROJECTS_PROGRESS_SINCE`` and whose due date (default the 5th of
    the next month) has passed. A March update missing on 6 April is one item.
    """
    since = settings.PROJECTS_PROGRESS_SINCE
    if since is None:
        # In-year dispatch has not started (no start date set): nothing is owed,
        # rather than every month since 2021 on a fresh install.
        return []
    rows, filed = progress_updates_owed(today, project_ids=project_ids)
    items: list[OverdueProgress] = []
    for row in rows:
        cadence = row["project__plan__progress_cadence"]
        for period in periods_of_year(cadence, row["year"]):
            if period.due_date >= today:
                break
            if period.end < since:
                continue
            if (row["id"], period.key) in filed:
                continue
            items.append(
                OverdueProgress(
                    year_record_id=row["id"],
                    project_id=row["project_id"],
                    period=period.key,
                    period_start=period.start,
                    period_end=period.end,
                    due_date=period.due_date,
                )
            )
    items.sort(key=lambda item: (item.due_date, item.project_id, item.period))
    return items


def progress_periods_elapsed(cadence: str, year: int, today: dt.date) -> int:
    """How many months of ``year`` are covered by periods already due by ``today``."""
    months = 0
    for period in periods_of_year(cadence, year):
        if period.due_date < today:
            months = period.end.month
    return months


# --- Coordination problems (问题清单) ------------------------------------------

PROBLEM_FIELDS = ["description", "owner_department_id", "due_date"]


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
    _refresh_health([project.pk])
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
    _refresh_health([locked.project_id])
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
