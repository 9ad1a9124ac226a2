"""Every write to projects and year records. Admin, API, tasks and commands call these.

Each service validates (``full_clean``), checks the workflow table and the actor's
scope, saves, and writes its history row in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio import review
from portfolio.choices import AuditAction, ReviewAction
from portfolio.exceptions import StaleWrite, TransitionNotAllowed
from portfolio.models import Plan
from portfolio.selectors import is_administrator, is_clerk, is_supervisor, user_scope
from portfolio.services import Actor, audit_log, diff, snapshot
from projects import workflow
from projects.choices import Phase
from projects.models import Project, YearRecord
from projects.selectors import due_date_for, is_tracked_year, projects_to_open

YEAR_RECORD_FIELDS = [
    "planned_investment",
    "actual_investment",
    "percent_complete",
    "phase",
    "progress",
    "problems",
    "next_steps",
]
PROJECT_FIELDS = [
    "name",
    "district_id",
    "sector_id",
    "department_id",
    "period",
    "start_year",
    "end_year",
    "content",
]


def _is_person(actor: Actor | None) -> bool:
    return actor is not None and not isinstance(actor, str)


def _authorize(actor: Actor | None, project: Project, *, role: str) -> None:
    """People act only within their scope and role; system actors are trusted."""
    if not _is_person(actor):
        return
    if not user_scope(actor).covers_project(project):
        raise PermissionDenied(_("该项目不在您的负责范围内。"))
    if is_administrator(actor):
        return
    if role == "clerk" and not is_clerk(actor):
        raise PermissionDenied(_("只有本单位填报员可以填报和提交。"))
    if role == "supervisor" and not is_supervisor(actor):
        raise PermissionDenied(_("只有督查员可以审核、退回或重新打开。"))


def _authorize_record(actor: Actor | None, record: YearRecord, role: str) -> None:
    """A year record is authorized through its project (scope, role)."""
    _authorize(actor, record.project, role=role)


def _records() -> QuerySet[YearRecord]:
    """Year records with what authorizing them reads (their project and plan)."""
    return YearRecord.objects.select_related("project", "project__plan")


def _lock_record(record: YearRecord, expected_version: int | None) -> YearRecord:
    return review.lock_for_write(
        record, expected_version=expected_version, queryset=_records()
    )


def _sync_project_phase(record: YearRecord, actor: Actor | None, reason: str) -> None:
    """The project's current phase is the phase of its latest year record."""
    project = record.project
    latest_year = (
        YearRecord.objects.filter(project=project)
        .order_by("-year")
        .values_list("year", flat=True)[:1]
    )
    if latest_year and latest_year[0] != record.year:
        return
    if project.phase == record.phase:
        return
    before = project.phase
    Project.objects.filter(pk=project.pk).update(
        phase=record.phase, version=F("version") + 1, updated_at=timezone.now()
    )
    project.phase = record.phase
    audit_log(
        instance=project,
        action=AuditAction.PHASE,
        actor=actor,
        changes={"phase": [before, record.phase]},
        reason=reason,
    )


@transaction.atomic
def year_record_update(
    *,
    record: YearRecord,
    actor: Actor | None,
    data: dict[str, Any],
    expected_version: int | None = None,
    reason: str = "",
) -> YearRecord:
    """Change a year record's figures and texts (draft or returned records only).

    A phase change follows the workflow's phase table and needs a reason when the
    project is suspended or cancelled. ``expected_version`` refuses a stale write.
    """
    unknown = set(data) - set(YEAR_RECORD_FIELDS)
    if unknown:
        raise ValidationError({name: _("该字段不能修改。") for name in sorted(unknown)})
    record = _lock_record(record, expected_version)
    _authorize(actor, record.project, role="clerk")
    if _is_person(actor) and not is_administrator(actor) and not is_clerk(actor):
        raise PermissionDenied(_("督查员不能直接修改填报数据，请退回由填报员修改。"))
    review.check_editable(record)
    before = snapshot(record, YEAR_RECORD_FIELDS)
    new_phase = data.get("phase", record.phase)
    if new_phase != record.phase:
        if new_phase == "":
            raise ValidationError({"phase": _("已填报的阶段不能清空。")})
        try:
            workflow.check_phase(record.phase or None, Phase(new_phase))
        except ValueError as exc:
            raise ValidationError({"phase": _("无效的阶段。")}) from exc
        except TransitionNotAllowed as exc:
            raise ValidationError({"phase": exc.message}) from exc
        if new_phase in workflow.PHASES_NEEDING_REASON and not reason.strip():
            raise ValidationError({"reason": _("停缓建或取消须填写原因。")})
    for name, value in data.items():
        setattr(record, name, value)
    record.full_clean()
    changes = diff(before, snapshot(record, YEAR_RECORD_FIELDS))
    if not changes:
        return record
    record.version += 1
    record.save()
    audit_log(
        instance=record,
        action=AuditAction.UPDATE,
        actor=actor,
        changes=changes,
        reason=reason,
    )
    if "phase" in changes:
        _sync_project_phase(record, actor, reason)
    return record


def _ready_to_submit(record: YearRecord) -> None:
    """A submitted report is valid and says the year's phase."""
    record.full_clean()
    if not record.phase:
        raise ValidationError({"phase": _("提交前请填写本年度项目阶段。")})


def _review(
    *,
    record: YearRecord,
    actor: Actor | None,
    action: ReviewAction,
    reason: str = "",
    expected_version: int | None = None,
) -> YearRecord:
    """A year record through the one review service (``portfolio.review``)."""
    return review.review_act(
        instance=record,
        action=action,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        authorize=_authorize_record,
        queryset=_records(),
        validate_submit=_ready_to_submit,
    )


@transaction.atomic
def year_record_submit(
    *, record: YearRecord, actor: Actor | None, expected_version: int | None = None
) -> YearRecord:
    """A clerk submits the year's report (from draft, or after it was returned)."""
    return _review(
        record=record,
        actor=actor,
        action=ReviewAction.SUBMIT,
        expected_version=expected_version,
    )


@transaction.atomic
def year_record_approve(
    *, record: YearRecord, actor: Actor | None, expected_version: int | None = None
) -> YearRecord:
    """A supervisor approves a submitted report; it becomes read-only."""
    return _review(
        record=record,
        actor=actor,
        action=ReviewAction.APPROVE,
        expected_version=expected_version,
    )


@transaction.atomic
def year_record_return(
    *,
    record: YearRecord,
    actor: Actor | None,
    reason: str,
    expected_version: int | None = None,
) -> YearRecord:
    """A supervisor returns a submitted report to the clerk, saying why."""
    return _review(
        record=record,
        actor=actor,
        action=ReviewAction.RETURN,
        reason=reason,
        expected_version=expected_version,
    )


@transaction.atomic
def year_record_reopen(
    *,
    record: YearRecord,
    actor: Actor | None,
    reason: str,
    expected_version: int | None = None,
) -> YearRecord:
    """A supervisor reopens an approved report for correction, saying why."""
    return _review(
        record=record,
        actor=actor,
        action=ReviewAction.REOPEN,
        reason=reason,
        expected_version=expected_version,
    )


@transaction.atomic
def project_change_phase(
    *, project: Project, phase: Phase, actor: Actor | None, reason: str = ""
) -> YearRecord:
    """Move a project to ``phase`` through its latest (editable) year record."""
    record = project.year_records.order_by("-year").first()
    if record is None:
        raise ValidationError({"phase": _("该项目尚无年度记录，无法变更阶段。")})
    return year_record_update(
        record=record, actor=actor, data={"phase": phase}, reason=reason
    )


@transaction.atomic
def project_update(
    *,
    project: Project,
    actor: Actor | None,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Project:
    """Correct a project's descriptive fields; a reload of the plan keeps the edit."""
    unknown = set(data) - set(PROJECT_FIELDS) - {"clusters"}
    if unknown:
        raise ValidationError({name: _("该字段不能修改。") for name in sorted(unknown)})
    locked = Project.objects.select_for_update().get(pk=project.pk)
    _authorize(actor, locked, role="clerk")
    if expected_version is not None and locked.version != expected_version:
        raise StaleWrite(current_version=locked.version)
    fields = [name for name in PROJECT_FIELDS if name in data]
    before = snapshot(locked, fields)
    clusters = data.get("clusters")
    before_clusters = sorted(locked.clusters.values_list("code", flat=True))
    for name in fields:
        setattr(locked, name, data[name])
    locked.full_clean()
    changes = diff(before, snapshot(locked, fields))
    if clusters is not None:
        after_clusters = sorted(c.code for c in clusters)
        if after_clusters != before_clusters:
            changes["clusters"] = [before_clusters, after_clusters]
    if _is_person(actor) and not user_scope(actor).covers_project(locked):
        raise PermissionDenied(_("不能把项目移出您的负责范围。"))
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    if clusters is not None:
        locked.clusters.set(clusters)
    audit_log(instance=locked, action=AuditAction.UPDATE, actor=actor, changes=changes)
    return locked


@transaction.atomic
def year_open(*, plan: Plan, year: int, actor: Actor | None) -> list[YearRecord]:
    """Open ``year``: one draft record per tracked project that has none yet.

    Idempotent: the plan row is locked so two runs (two beat processes, a retry)
    cannot both create, and a second run finds nothing to do.
    """
    Plan.objects.select_for_update().get(pk=plan.pk)
    due = due_date_for(plan, year)
    projects = list(projects_to_open(plan, year).select_related("plan"))
    records = [
        YearRecord(
            project=project,
            year=year,
            due_date=due,
            # A new year starts where the last one ended; the clerk updates it.
            phase=project.phase,
        )
        for project in projects
        if is_tracked_year(project, year)
    ]
    created = YearRecord.objects.bulk_create(records)
    for record in created:
        audit_log(
            instance=record,
            action=AuditAction.CREATE,
            actor=actor,
            changes={"year": [None, year], "due_date": [None, due.isoformat()]},
        )
    return created


def _authorize_delete(actor: Actor | None) -> None:
    if _is_person(actor) and not is_administrator(actor):
        raise PermissionDenied(_("只有管理员可以删除项目或年度记录。"))


@transaction.atomic
def year_record_delete(*, record: YearRecord, actor: Actor | None, reason: str = ""):
    """Delete a year record; a tombstone tells syncing clients it is gone."""
    from portfolio.sync import tombstone_write

    _authorize_delete(actor)
    record = YearRecord.objects.select_related("project").get(pk=record.pk)
    project = record.project
    tombstone_write(
        instance=record,
        district_id=project.district_id,
        sector_id=project.sector_id,
    )
    audit_log(
        instance=record,
        action=AuditAction.DELETE,
        actor=actor,
        changes={"year": [record.year, None], "state": [record.state, None]},
        reason=reason,
    )
    record.delete()
    # The project embeds its year's record in the API: mark it changed so that
    # clients syncing with ``updated_since`` fetch it again.
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())


@transaction.atomic
def project_delete(*, project: Project, actor: Actor | None, reason: str = ""):
    """Delete a project with its year records, leaving a tombstone for each."""
    from portfolio.sync import tombstone_write

    _authorize_delete(actor)
    project = Project.objects.select_for_update().get(pk=project.pk)
    for record in project.year_records.all():
        tombstone_write(
            instance=record,
            district_id=project.district_id,
            sector_id=project.sector_id,
        )
    tombstone_write(
        instance=project,
        code=project.code,
        district_id=project.district_id,
        sector_id=project.sector_id,
    )
    audit_log(
        instance=project,
        action=AuditAction.DELETE,
        actor=actor,
        changes={"code": [project.code, None], "name": [project.name, None]},
        reason=reason,
    )
    project.delete()
