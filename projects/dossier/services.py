"""The dossier's writes: money and people, and in-year progress updates.

- ``project_dossier_update``: total investment and its sources, owner unit,
  responsible leader, contact person and phone;
- ``progress_update_submit`` / ``progress_update_change``: one period's progress
  within a year record, feeding the year record's figures and the project's light.

Personal data: ``personal_fields()`` names the fields that public exports leave
out and that only people whose scope covers the project may see.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio import review
from portfolio.authorization import person_of
from portfolio.choices import AuditAction, Role
from portfolio.exceptions import StaleWrite
from portfolio.selectors import user_scope
from portfolio.services import Actor, audit_log, diff, snapshot
from projects.dossier.choices import (
    ProblemState,
)
from projects.dossier.health import HEALTH_ACTOR, health_refresh
from projects.dossier.models import ProgressUpdate, ProjectDossier
from projects.dossier.problems import problem_raise
from projects.dossier.selectors import Period, period_parse
from projects.models import Project, YearRecord
from projects.services import _authorize, year_record_update

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
    _authorize(actor, project, role=Role.CLERK)
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
    """Updates are filed and corrected only while the year record is editable.

    A progress update has no review of its own: it follows its year record's.
    The refusal stays a validation error of the ``year_record`` field.
    """
    if not review.is_editable(record):
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
        + (
            str(_("：%(reason)s")) % {"reason": update.decrease_reason}
            if update.decrease_reason
            else ""
        ),
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
    health_refresh(project_ids=project_ids, actor=HEALTH_ACTOR)


def _check_period_open(record: YearRecord, found: Period, today: dt.date) -> None:
    """Refuse a period outside the record's year, not begun yet, or already filed."""
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
    record = review.lock_for_write(
        year_record,
        queryset=YearRecord.objects.select_related("project", "project__plan"),
    )
    _authorize(actor, record.project, role=Role.CLERK)
    _check_record_open(record)
    cadence = record.project.plan.progress_cadence
    found = period_parse(cadence, period)
    _check_period_open(record, found, today)
    update = ProgressUpdate(
        year_record=record,
        period=found.key,
        cadence=cadence,
        period_start=found.start,
        period_end=found.end,
        due_date=found.due_date,
        submitted_at=timezone.now(),
        submitted_by=person_of(actor),
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
    locked = review.lock_for_write(
        update,
        expected_version=expected_version,
        queryset=ProgressUpdate.objects.select_related(
            "year_record", "year_record__project"
        ),
    )
    _authorize(actor, locked.year_record.project, role=Role.CLERK)
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
