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
from portfolio.authorization import Principal, authorize
from portfolio.choices import AuditAction, ReviewAction, Role
from portfolio.exceptions import StaleWrite, TransitionNotAllowed
from portfolio.models import Plan
from portfolio.services import Actor, audit_log, diff, snapshot
from projects import signals, workflow
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
# The plan's own fields: changed by an approved adjustment (项目调整) only.
PLAN_OWN_FIELDS = ("name", "period", "start_year", "end_year", "content")
# A change of these moves the project to another place (and other people).
MOVE_FIELDS = ("district_id", "sector_id", "department_id")


def _authorize(
    actor: Actor | None, project: Project, *, role: Role | None
) -> Principal | None:
    """A person or a token acts on ``project`` within its scope and ``role``.

    The one rule of ``portfolio.authorization``: no system process edits or
    reviews a project's report.
    """
    return authorize(actor=actor, role=role, project=project)


def _authorize_record(
    actor: Actor | None, record: YearRecord, role: Role
) -> Principal | None:
    """A year record is authorized through its project (scope, role)."""
    return _authorize(actor, record.project, role=role)


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
    _authorize(actor, record.project, role=Role.CLERK)
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


def _differs(locked: Project, name: str, value: Any) -> bool:
    if name == "clusters":
        return sorted(c.pk for c in value) != sorted(
            locked.clusters.values_list("pk", flat=True)
        )
    return getattr(locked, name) != value


def _requested_roles(locked: Project, data: dict[str, Any]) -> list[Role | None]:
    """The roles a project edit needs: a clerk's to correct its description, a
    supervisor's to move it (another district, sector or department); none
    beyond the scope for a request that changes nothing."""
    changing = {name for name, value in data.items() if _differs(locked, name, value)}
    roles: list[Role | None] = []
    if changing - set(MOVE_FIELDS):
        roles.append(Role.CLERK)
    if changing & set(MOVE_FIELDS):
        roles.append(Role.SUPERVISOR)
    return roles or [None]


def _authorize_move(
    principal: Principal | None, before: dict[str, Any], after: Project, reason: str
) -> list[str]:
    """A move needs the scope of both places, field by field, and a reason.

    ``Scope.covers_project`` (district OR sector) is what a person sees; a move
    must hold the very place it changes on both sides: a bureau that sees a
    project by its sector cannot carry it into another district. Returns the
    fields that move.
    """
    moved = [name for name in MOVE_FIELDS if before[name] != getattr(after, name)]
    if not moved or principal is None:
        return moved
    for name in moved:
        if not (
            principal.scope.covers_place(name, before[name])
            and principal.scope.covers_place(name, getattr(after, name))
        ):
            raise PermissionDenied(
                _("移动项目须同时负责原%(place)s和新%(place)s。")
                % {"place": Project._meta.get_field(name[:-3]).verbose_name}
            )
    if not reason.strip():
        raise ValidationError(
            {"reason": _("变更项目的县区、产业或责任单位须填写原因。")}
        )
    return moved


def _refuse_plan_fields(locked: Project, data: dict[str, Any]) -> None:
    """Clerks and supervisors never edit the plan's own fields directly: an
    adjustment changes them, with a reason and a document reference, approved by
    a supervisor. (An administrator's correction is audited like any write.)"""
    refused = [
        name
        for name in PLAN_OWN_FIELDS
        if name in data and _differs(locked, name, data[name])
    ]
    if refused:
        raise ValidationError(
            {
                name: _(
                    "项目名称、建设年限和建设内容是规划确定的内容，不能直接修改；"
                    "请提交项目调整（变更），由督查员审核。"
                )
                for name in refused
            }
        )


@transaction.atomic
def project_update(
    *,
    project: Project,
    actor: Actor | None,
    data: dict[str, Any],
    expected_version: int | None = None,
    reason: str = "",
) -> Project:
    """Correct a project's descriptive fields; a reload of the plan keeps the edit.

    Correcting the description is a clerk's act. Moving the project (its
    district, sector or responsible department) is a supervisor's or an
    administrator's, needs the scope of both the old and the new place and a
    ``reason``; its open notices follow it (``signals.project_moved``).
    """
    unknown = set(data) - set(PROJECT_FIELDS) - {"clusters"}
    if unknown:
        raise ValidationError({name: _("该字段不能修改。") for name in sorted(unknown)})
    locked = Project.objects.select_for_update().get(pk=project.pk)
    principal = None
    for role in _requested_roles(locked, data):
        principal = _authorize(actor, locked, role=role)
    if principal is None or not principal.holds(Role.ADMINISTRATOR):
        _refuse_plan_fields(locked, data)
    if expected_version is not None and locked.version != expected_version:
        raise StaleWrite(current_version=locked.version)
    fields = [name for name in PROJECT_FIELDS if name in data]
    before = snapshot(locked, fields)
    place = {name: getattr(locked, name) for name in MOVE_FIELDS}
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
    moved = _authorize_move(principal, place, locked, reason)
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    if clusters is not None:
        locked.clusters.set(clusters)
    audit_log(
        instance=locked,
        action=AuditAction.UPDATE,
        actor=actor,
        changes=changes,
        reason=reason,
    )
    if moved:
        signals.project_moved.send(sender=Project, project=locked, before=place)
    return locked


@transaction.atomic
def year_open(*, plan: Plan, year: int, actor: Actor | None) -> list[YearRecord]:
    """Open ``year``: one draft record per tracked project that has none yet.

    Idempotent: the plan row is locked so two runs (two beat processes, a retry)
    cannot both create, and a second run finds nothing to do. A system job (the
    yearly task, ``scan_deadlines``, ``load_plan``), or an administrator's act.
    """
    authorize(actor=actor, role=Role.ADMINISTRATOR, system_job=True)
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


def _authorize_delete(actor: Actor | None, project: Project) -> None:
    authorize(
        actor=actor,
        role=Role.ADMINISTRATOR,
        project=project,
        role_refusal=_("只有管理员可以删除项目或年度记录。"),
    )


@transaction.atomic
def year_record_delete(*, record: YearRecord, actor: Actor | None, reason: str = ""):
    """Delete a year record; a tombstone tells syncing clients it is gone."""
    from portfolio.sync import tombstone_write

    record = YearRecord.objects.select_related("project").get(pk=record.pk)
    project = record.project
    _authorize_delete(actor, project)
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

    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("plan", "district", "sector", "department")
        .get(pk=project.pk)
    )
    _authorize_delete(actor, project)
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
        # What the project was and where it belonged: the row is gone after
        # this, and the outbound webhooks tell each subscriber in that scope.
        changes={
            "code": [project.code, None],
            "name": [project.name, None],
            "plan": [project.plan.code, None],
            "district": [project.district.code, None],
            "sector": [project.sector.code, None],
            "department": [project.department.code, None],
        },
        reason=reason,
    )
    project.delete()
