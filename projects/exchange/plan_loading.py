"""Writing a plan read from a workbook (``plan_workbook``): all or nothing.

Idempotent and respectful of clerks' work, as ``load_plan`` is for the seed:
a project's ``seed`` keeps the values last loaded; a field still equal to it is
refreshed from the workbook, a field someone changed is kept and reported.
A new plan is not made current: an administrator does that on its page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from portfolio.authorization import authorize
from portfolio.choices import AuditAction, Role
from portfolio.models import Department, Plan
from portfolio.services import Actor, audit_log
from projects.models import PlanTable, Project
from projects.services import year_open

from .plan_workbook import PlanWorkbook, ProjectRow, TableSheet

PLAN_FIELDS = ["name", "issuer", "issued_on", "start_year", "end_year"]
SEEDED = ["name", "district", "sector", "period", "start_year", "end_year", "content"]


@dataclass
class PlanLoadReport:
    """What a load did (or, for a preview, would do)."""

    plan: str = ""
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    year_records: int = 0

    def count(self, bucket: dict[str, int], name: str) -> None:
        bucket[name] = bucket.get(name, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.year_records)

    def lines(self) -> list[str]:
        out = [gettext("规划：%(plan)s") % {"plan": self.plan}] if self.plan else []
        for name, number in self.created.items():
            out.append(
                gettext("新建 %(name)s: %(count)s") % {"name": name, "count": number}
            )
        for name, number in self.updated.items():
            out.append(self.updated_line(name, number))
        if self.year_records:
            out.append(
                gettext("新建年度记录: %(count)s") % {"count": self.year_records}
            )
        for line in self.kept:
            out.append(gettext("保留填报员修改: %(line)s") % {"line": line})
        if not self.changed:
            out.append(self.unchanged_line())
        return out

    # The words that name the source (a workbook here; the plan's text for the
    # seed loader, projects/bootstrap/plan_loader.py, which reuses this report).
    def updated_line(self, name: str, number: int) -> str:
        return gettext("按工作簿更新 %(name)s: %(count)s") % {
            "name": name,
            "count": number,
        }

    def unchanged_line(self) -> str:
        return gettext("无变化：数据库已与工作簿一致。")


def project_code_in(plan: Plan, table: int, number: int) -> str:
    """A workbook project's key: the plan's first year, its table and number."""
    return f"p{plan.start_year}-t{table}-{number:03d}"


def _seed_values(row: ProjectRow) -> dict:
    return {
        "name": row.name,
        "district": row.district.code,
        "sector": row.sector.code,
        "period": row.period,
        "start_year": row.start_year,
        "end_year": row.end_year,
        "content": row.content,
    }


def _current_values(project: Project) -> dict:
    return {
        "name": project.name,
        "district": project.district.code,
        "sector": project.sector.code,
        "period": project.period,
        "start_year": project.start_year,
        "end_year": project.end_year,
        "content": project.content,
    }


def _plan_ensure(data: dict, actor: str, report: PlanLoadReport) -> Plan:
    plan = Plan.objects.filter(code=data["code"]).first()
    if plan is None:
        plan = Plan(
            **{k: data[k] for k in ["code", *PLAN_FIELDS]},
            # Another plan is current already: the office switches when it is ready.
            is_current=not Plan.objects.filter(is_current=True).exists(),
        )
        plan.full_clean()
        plan.save()
        audit_log(instance=plan, action=AuditAction.LOAD, actor=actor)
        report.count(report.created, gettext("规划"))
        return plan
    changes = {
        name: [str(getattr(plan, name)), str(data[name])]
        for name in PLAN_FIELDS
        if getattr(plan, name) != data[name]
    }
    if changes:
        for name in changes:
            setattr(plan, name, data[name])
        plan.full_clean()
        plan.save()
        audit_log(instance=plan, action=AuditAction.LOAD, actor=actor, changes=changes)
        report.count(report.updated, gettext("规划"))
    return plan


def _table_ensure(
    plan: Plan, sheet: TableSheet, actor: str, report: PlanLoadReport
) -> PlanTable:
    sector = sheet.rows[0].sector if sheet.rows else None
    table = PlanTable.objects.filter(plan=plan, number=sheet.number).first()
    if table is None:
        table = PlanTable(
            plan=plan, number=sheet.number, title=sheet.title, sector=sector
        )
        table.full_clean()
        table.save()
        audit_log(instance=table, action=AuditAction.LOAD, actor=actor)
        report.count(report.created, gettext("项目表"))
    elif table.title != sheet.title:
        before = table.title
        table.title = sheet.title
        table.save()
        audit_log(
            instance=table,
            action=AuditAction.LOAD,
            actor=actor,
            changes={"title": [before, sheet.title]},
        )
        report.count(report.updated, gettext("项目表"))
    return table


def _project_create(plan, table, row: ProjectRow, government, actor) -> Project:
    project = Project(
        plan=plan,
        table=table,
        code=project_code_in(plan, table.number, row.number),
        number=row.number,
        name=row.name,
        district=row.district,
        sector=row.sector,
        department=government[row.district.pk],
        period=row.period,
        start_year=row.start_year,
        end_year=row.end_year,
        content=row.content,
        continues=row.continues,
        seed=_seed_values(row),
    )
    project.full_clean()
    project.save()
    project.clusters.set(row.clusters)
    audit_log(instance=project, action=AuditAction.LOAD, actor=actor)
    return project


def _project_refresh(
    project: Project, row: ProjectRow, actor: str, report: PlanLoadReport
) -> None:
    """Fields nobody edited follow the workbook; edited ones are kept."""
    wanted = _seed_values(row)
    current = _current_values(project)
    previous = project.seed or wanted
    changes = {}
    for name in SEEDED:
        if wanted[name] == previous.get(name) == current[name]:
            continue
        if current[name] != previous.get(name):
            if current[name] != wanted[name]:
                report.kept.append(f"{project.code} {name}")
            continue
        changes[name] = [current[name], wanted[name]]
    link = row.continues is not None and project.continues_id is None
    if not changes and project.seed == wanted and not link:
        return
    for name in changes:
        value = {"district": row.district, "sector": row.sector}.get(
            name, getattr(row, name, None)
        )
        setattr(project, name, value)
    if link:
        project.continues = row.continues
        changes["continues"] = [None, row.continues.code]
    project.seed = wanted
    project.full_clean()
    project.save()
    if changes:
        audit_log(
            instance=project, action=AuditAction.LOAD, actor=actor, changes=changes
        )
        report.count(report.updated, gettext("项目"))


@transaction.atomic
def plan_workbook_load(
    *,
    parsed: PlanWorkbook,
    actor: Actor | None,
    today: dt.date | None = None,
    dry_run: bool = False,
) -> PlanLoadReport:
    """Load a plan read from a workbook; ``dry_run`` says what would change.

    An administrator's act (or a command's). All or nothing: one transaction.
    """
    authorize(actor=actor, role=Role.ADMINISTRATOR, system_job=True)
    label = actor if isinstance(actor, str) else str(getattr(actor, "username", ""))
    today = today or timezone.localdate()
    report = PlanLoadReport(plan=parsed.plan["code"])
    plan = _plan_ensure(parsed.plan, label, report)
    government = {
        d.district_id: d for d in Department.objects.filter(district__isnull=False)
    }
    existing = {
        p.code: p
        for p in Project.objects.filter(plan=plan).select_related("district", "sector")
    }
    for sheet in parsed.tables:
        table = _table_ensure(plan, sheet, label, report)
        for row in sheet.rows:
            project = existing.get(project_code_in(plan, sheet.number, row.number))
            if project is None:
                _project_create(plan, table, row, government, label)
                report.count(report.created, gettext("项目"))
            else:
                _project_refresh(project, row, label, report)
    for year in range(plan.start_year, today.year + 1):
        report.year_records += len(year_open(plan=plan, year=year, actor=actor))
    if dry_run:
        transaction.set_rollback(True)
    return report
