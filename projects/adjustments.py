"""Adjustments (项目调整), project creation and the reserve: every write of them.

A clerk proposes an adjustment (add, remove, replace, change) with a reason and
a document reference; a supervisor approves or returns it through the one review
service (``portfolio.review.review_act``, the same table as reports). Approval
applies it here: a removed project stays on record with ``status = removed``;
an added one is created in its table (or a reserve project is promoted into
it); a replacement removes one and adds the other, linked by the adjustment; a
change edits the plan's own fields (name, content, period).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio import review
from portfolio.authorization import Principal, authorize
from portfolio.choices import AuditAction, ReviewAction, ReviewState, Role
from portfolio.fixtures import PLAN_CODE
from portfolio.models import Department, District, Plan, Sector
from portfolio.services import Actor, audit_log
from projects.choices import (
    ADJUSTMENTS_ADDING,
    ADJUSTMENTS_ON_PROJECT,
    AdjustmentKind,
    ProjectStatus,
)
from projects.models import Adjustment, PlanTable, Project

PERIOD = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*$")
# What an add or a replacement's new project says; what a change may change.
NEW_PROJECT_FIELDS = ("name", "district", "sector", "period", "content")
CHANGE_FIELDS = ("name", "content", "period")


def plan_project_code(plan: Plan, table: int, number: int) -> str:
    """The code of a project in ``plan``'s table: the seed plan's own form
    (t3-072), another plan's with its first year (p2026-t3-001)."""
    if plan.code == PLAN_CODE:
        return f"t{table}-{number:03d}"
    return f"p{plan.start_year}-t{table}-{number:03d}"


def parse_period(text: str) -> tuple[int, int]:
    """``2021-2023`` or ``2021`` as (start, end); ValidationError otherwise."""
    match = PERIOD.match(text or "")
    if not match:
        raise ValidationError({"period": _("建设年限应为“YYYY-YYYY”或“YYYY”。")})
    start = int(match.group(1))
    end = int(match.group(2) or start)
    if end < start:
        raise ValidationError({"period": _("完工年不能早于开工年。")})
    return start, end


def _next_number(table: PlanTable) -> int:
    last = Project.objects.filter(table=table).aggregate(last=Max("number"))["last"]
    return (last or 0) + 1


def _new_project(plan: Plan, table: PlanTable | None, data: dict[str, Any]) -> Project:
    """A project from an API's or an adjustment's fields (codes), not saved."""
    errors = {
        name: _("该字段必填。") for name in NEW_PROJECT_FIELDS if not data.get(name)
    }
    if errors:
        raise ValidationError(errors)
    district = District.objects.filter(code=data["district"]).first()
    sector = (
        Sector.objects.filter(code=data["sector"]).order_by("-plan__start_year").first()
    )
    if district is None:
        raise ValidationError({"district": _("没有这个县区。")})
    if sector is None:
        raise ValidationError({"sector": _("没有这个产业。")})
    department = (
        Department.objects.filter(code=data["department"]).first()
        if data.get("department")
        else Department.objects.filter(district=district).first()
    )
    if department is None:
        raise ValidationError({"department": _("没有这个责任单位。")})
    start, end = parse_period(data["period"])
    if table is not None:
        number = int(data.get("number") or _next_number(table))
        code = plan_project_code(plan, table.number, number)
    else:  # the reserve: no table, numbered in the plan's reserve
        number = int(data.get("number") or 0) or (
            (
                Project.objects.filter(plan=plan, table=None).aggregate(
                    last=Max("number")
                )["last"]
                or 0
            )
            + 1
        )
        code = f"r{plan.start_year}-{number:03d}"
    return Project(
        plan=plan,
        table=table,
        code=data.get("code") or code,
        number=number,
        name=data["name"],
        district=district,
        sector=sector,
        department=department,
        period=data["period"].strip(),
        start_year=start,
        end_year=end,
        content=data["content"],
        status=ProjectStatus.ACTIVE if table else ProjectStatus.RESERVE,
    )


def _save_new(project: Project, actor: Actor | None, reason: str = "") -> Project:
    project.full_clean()
    project.save()
    audit_log(
        instance=project,
        action=AuditAction.CREATE,
        actor=actor,
        changes={"code": [None, project.code], "status": [None, project.status]},
        reason=reason,
    )
    return project


@transaction.atomic
def project_create(
    *,
    plan: Plan,
    table: PlanTable | None,
    data: dict[str, Any],
    actor: Actor | None,
    reason: str = "",
) -> Project:
    """Create a project directly: in a plan table, or (no table) in the reserve.

    Administrators only, and API tokens an administrator allowed
    (``ApiClient.may_manage_projects``); everyone else proposes an adjustment.
    """
    principal = authorize(actor=actor, role=None)
    allowed = principal is None or principal.holds(Role.ADMINISTRATOR)
    if principal is not None and principal.client is not None:
        allowed = allowed or principal.client.may_manage_projects
    if not allowed:
        raise PermissionDenied(
            _("只有管理员（或经管理员授权的凭据）可以直接新建项目；请提交项目调整。")
        )
    if table is not None and table.plan_id != plan.pk:
        raise ValidationError({"table": _("项目表不属于该规划。")})
    return _save_new(_new_project(plan, table, data), actor, reason)


# --- Proposing -----------------------------------------------------------------


def _clean_proposal(adjustment: Adjustment) -> None:
    """What each kind needs, refused with a message per field."""
    kind = AdjustmentKind(adjustment.kind)
    project = adjustment.project
    payload = adjustment.payload
    if not isinstance(payload, dict) or not all(
        isinstance(value, str) for value in payload.values()
    ):
        raise ValidationError({"payload": _("调整内容须为“字段: 文字”的对照。")})
    if any("\x00" in value for value in payload.values()):
        # PostgreSQL text cannot hold NUL: refused here, not a 500 in a lookup.
        raise ValidationError({"payload": _("调整内容中不能含有空字符（NUL）。")})
    if kind in ADJUSTMENTS_ON_PROJECT:
        if project is None:
            raise ValidationError({"project": _("请指定要调整的项目。")})
        if project.status != ProjectStatus.ACTIVE:
            raise ValidationError({"project": _("只能调整在册项目。")})
    if (
        kind == AdjustmentKind.ADD
        and project is not None
        and project.status != ProjectStatus.RESERVE
    ):
        raise ValidationError({"project": _("增补的已有项目须为储备项目。")})
    if kind in ADJUSTMENTS_ADDING:
        if adjustment.table is None and project is not None:
            adjustment.table = project.table
        if adjustment.table is None:
            raise ValidationError({"table": _("请指定目标项目表。")})
        if adjustment.table.plan_id != adjustment.plan_id:
            raise ValidationError({"table": _("项目表不属于该规划。")})
        if kind == AdjustmentKind.REPLACE or project is None:
            # Checked now, created on approval.
            _new_project(adjustment.plan, adjustment.table, adjustment.payload)
    if kind == AdjustmentKind.CHANGE:
        unknown = set(adjustment.payload) - set(CHANGE_FIELDS)
        if unknown or not adjustment.payload:
            raise ValidationError(
                {"payload": _("变更只能修改项目名称、建设内容、建设年限。")}
            )
        if "period" in adjustment.payload:
            parse_period(adjustment.payload["period"])


def _department_of(kind, project: Project | None, payload: dict) -> Department:
    if project is not None and kind != AdjustmentKind.ADD:
        return project.department
    if project is not None:
        return project.department
    district = District.objects.filter(code=payload.get("district")).first()
    department = (
        Department.objects.filter(code=payload.get("department")).first()
        or Department.objects.filter(district=district).first()
    )
    if department is None:
        raise ValidationError({"payload": _("请给出新项目的县区或责任单位。")})
    return department


@transaction.atomic
def adjustment_propose(
    *,
    plan: Plan,
    kind: AdjustmentKind,
    actor: Actor | None,
    reason: str,
    document_ref: str = "",
    project: Project | None = None,
    table: PlanTable | None = None,
    payload: dict[str, Any] | None = None,
) -> Adjustment:
    """A clerk (or anyone in scope) proposes an adjustment; it starts as a draft."""
    payload = dict(payload or {})
    if project is not None and project.plan_id != plan.pk and kind != "add":
        raise ValidationError({"project": _("该项目不属于这个规划。")})
    adjustment = Adjustment(
        plan=plan,
        kind=kind,
        project=project,
        table=table,
        reason=reason,
        document_ref=document_ref,
        payload=payload,
    )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写调整理由。")})
    _clean_proposal(adjustment)
    adjustment.department = _department_of(kind, project, payload)
    _authorize_adjustment(actor, adjustment, Role.CLERK)
    adjustment.full_clean()
    adjustment.save()
    audit_log(
        instance=adjustment,
        action=AuditAction.CREATE,
        actor=actor,
        changes={"kind": [None, adjustment.kind], "payload": [None, payload]},
        reason=reason,
    )
    return adjustment


def _authorize_adjustment(
    actor: Actor | None, adjustment: Adjustment, role: Role
) -> Principal | None:
    return authorize(
        actor=actor,
        role=role,
        project=adjustment.project,
        department_ids=(adjustment.department_id,),
    )


def _adjustments():
    # Inner joins only: the row is locked FOR UPDATE (nullable joins cannot be).
    return Adjustment.objects.select_related("plan", "department")


def _review(adjustment: Adjustment, action: ReviewAction, actor, reason="", **kw):
    return review.review_act(
        instance=adjustment,
        action=action,
        actor=actor,
        reason=reason,
        authorize=_authorize_adjustment,
        queryset=_adjustments(),
        validate_submit=_clean_proposal,
        **kw,
    )


@transaction.atomic
def adjustment_submit(
    *, adjustment: Adjustment, actor: Actor | None, expected_version: int | None = None
) -> Adjustment:
    """The proposer submits the adjustment for review."""
    return _review(
        adjustment, ReviewAction.SUBMIT, actor, expected_version=expected_version
    )


@transaction.atomic
def adjustment_return(
    *,
    adjustment: Adjustment,
    actor: Actor | None,
    reason: str,
    expected_version: int | None = None,
) -> Adjustment:
    """A supervisor returns the adjustment, with the reason."""
    return _review(
        adjustment,
        ReviewAction.RETURN,
        actor,
        reason=reason,
        expected_version=expected_version,
    )


@transaction.atomic
def adjustment_approve(
    *, adjustment: Adjustment, actor: Actor | None, expected_version: int | None = None
) -> Adjustment:
    """A supervisor approves the adjustment; it is applied at once."""
    adjustment = _review(
        adjustment, ReviewAction.APPROVE, actor, expected_version=expected_version
    )
    _apply(adjustment, actor)
    return adjustment


# --- Applying ------------------------------------------------------------------


def _note(adjustment: Adjustment) -> str:
    text = str(_("项目调整（%(kind)s）：%(reason)s")) % {
        "kind": adjustment.get_kind_display(),
        "reason": adjustment.reason,
    }
    if adjustment.document_ref:
        text += str(_("（文号：%(ref)s）")) % {"ref": adjustment.document_ref}
    return text


def _set_status(project: Project, status: str, actor, note: str, **fields) -> None:
    project = Project.objects.select_for_update().get(pk=project.pk)
    changes = {"status": [project.status, status]}
    for name, value in fields.items():
        before = getattr(project, name)
        changes[name] = [
            getattr(before, "pk", before),
            getattr(value, "pk", value),
        ]
        setattr(project, name, value)
    project.status = status
    project.full_clean()
    Project.objects.filter(pk=project.pk).update(
        status=status,
        version=F("version") + 1,
        updated_at=timezone.now(),
        **fields,
    )
    audit_log(
        instance=project,
        action=AuditAction.UPDATE,
        actor=actor,
        changes=changes,
        reason=note,
    )


def _apply_change(adjustment: Adjustment, actor) -> None:
    project = Project.objects.select_for_update().get(pk=adjustment.project_id)
    changes = {}
    values = dict(adjustment.payload)
    if "period" in values:
        values["start_year"], values["end_year"] = parse_period(values["period"])
    for name, value in values.items():
        if getattr(project, name) != value:
            changes[name] = [getattr(project, name), value]
            setattr(project, name, value)
    if not changes:
        return
    project.version += 1
    project.full_clean()
    project.save()
    audit_log(
        instance=project,
        action=AuditAction.UPDATE,
        actor=actor,
        changes=changes,
        reason=_note(adjustment),
    )


def _apply(adjustment: Adjustment, actor) -> None:
    kind = AdjustmentKind(adjustment.kind)
    note = _note(adjustment)
    if kind == AdjustmentKind.CHANGE:
        _apply_change(adjustment, actor)
        return
    if kind in (AdjustmentKind.REMOVE, AdjustmentKind.REPLACE):
        _set_status(adjustment.project, ProjectStatus.REMOVED, actor, note)
    if kind == AdjustmentKind.ADD and adjustment.project is not None:
        table = adjustment.table
        _set_status(
            adjustment.project,
            ProjectStatus.ACTIVE,
            actor,
            note,
            plan=adjustment.plan,
            table=table,
            number=_next_number(table),
        )
        added = adjustment.project
    elif kind in ADJUSTMENTS_ADDING:
        added = _save_new(
            _new_project(adjustment.plan, adjustment.table, adjustment.payload),
            actor,
            note,
        )
    else:
        return
    Adjustment.objects.filter(pk=adjustment.pk).update(result=added)
    adjustment.result = added


def adjustment_is_open(adjustment: Adjustment) -> bool:
    return adjustment.state != ReviewState.APPROVED
