"""Carry-over (续建): each unfinished project of a plan goes on in the next one.

Unfinished: on the old plan's list (``status = active``) and not 竣工/投运/取消
(``FINISHED_PHASES``) at the end of the old plan: the phase of its last year
record up to the plan's last year, or its current phase without one.

Each is linked once (``Project.continues`` is one-to-one): a project of the new
plan that says 续建自 (loaded from the workbook) or bears the same name is its
continuation; otherwise one is created in the new plan's table of the same
sector, or, with no such table, it is listed for a supervisor to decide. The
old project keeps its year records, dossier, progress updates and problems.
A rerun changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.authorization import authorize
from portfolio.choices import AuditAction, Role
from portfolio.models import Plan
from portfolio.services import Actor, audit_log
from projects.adjustments import plan_project_code
from projects.choices import FINISHED_PHASES, ProjectStatus
from projects.models import PlanTable, Project, YearRecord
from projects.services import year_open


@dataclass
class CarryOverReport:
    """What a carry-over did: codes of old → new, and what is left to decide."""

    linked: list[tuple[str, str]] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)
    already: int = 0
    unmatched: list[str] = field(default_factory=list)
    year_records: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.linked or self.created)

    def lines(self) -> list[str]:
        out = [
            gettext("已续建（此前已关联）：%(count)s") % {"count": self.already},
            gettext("关联到新规划已有项目：%(count)s") % {"count": len(self.linked)},
            gettext("在新规划中新建续建项目：%(count)s") % {"count": len(self.created)},
        ]
        out += [f"  {old} → {new}" for old, new in self.linked + self.created]
        if self.unmatched:
            out.append(
                gettext("新规划中没有同产业的项目表，待督查员决定：%(codes)s")
                % {"codes": gettext("、").join(self.unmatched)}
            )
        if self.year_records:
            out.append(
                gettext("新建年度记录: %(count)s") % {"count": self.year_records}
            )
        if not self.changed:
            out.append(gettext("无变化：未完工项目均已续建。"))
        return out


def unfinished_projects(plan: Plan):
    """The plan's listed projects not finished at the end of its last year."""
    last_phase = (
        YearRecord.objects.filter(project=OuterRef("pk"), year__lte=plan.end_year)
        .exclude(phase="")
        .order_by("-year")
        .values("phase")[:1]
    )
    projects = (
        Project.objects.filter(plan=plan, status=ProjectStatus.ACTIVE)
        .annotate(end_phase=Subquery(last_phase))
        .select_related("sector", "table")
        .order_by("table__number", "number")
    )
    return [p for p in projects if (p.end_phase or p.phase) not in FINISHED_PHASES]


def _continuation(old: Project, new_plan: Plan, table: PlanTable, actor) -> Project:
    number = (
        Project.objects.filter(table=table).aggregate(last=Max("number"))["last"] or 0
    ) + 1
    project = Project(
        plan=new_plan,
        table=table,
        code=plan_project_code(new_plan, table.number, number),
        number=number,
        name=old.name,
        district_id=old.district_id,
        sector_id=old.sector_id,
        department_id=old.department_id,
        period=old.period,
        start_year=old.start_year,
        end_year=old.end_year,
        content=old.content,
        phase=old.end_phase or old.phase,
        continues=old,
    )
    project.full_clean()
    project.save()
    project.clusters.set(old.clusters.all())
    audit_log(
        instance=project,
        action=AuditAction.CREATE,
        actor=actor,
        changes={"continues": [None, old.code]},
        reason=str(_("续建结转")),
    )
    return project


def _link(old: Project, new: Project, actor) -> None:
    Project.objects.filter(pk=new.pk).update(continues=old)
    audit_log(
        instance=new,
        action=AuditAction.UPDATE,
        actor=actor,
        changes={"continues": [None, old.code]},
        reason=str(_("续建结转")),
    )


@transaction.atomic
def carry_over(
    *,
    old_plan: Plan,
    new_plan: Plan,
    actor: Actor | None,
    create: bool = True,
    today: dt.date | None = None,
) -> CarryOverReport:
    """Link each unfinished project of ``old_plan`` to its continuation.

    An administrator's or a supervisor's act, or a command's. ``create=False``
    lists the unmatched ones instead of creating their continuation. The new
    plan's years begun by ``today`` are opened for the continuations.
    """
    authorize(actor=actor, role=Role.SUPERVISOR, system_job=True)
    if old_plan.pk == new_plan.pk or new_plan.start_year <= old_plan.start_year:
        raise ValidationError({"to": _("续建须从较早的规划转入较晚的规划。")})
    report = CarryOverReport()
    in_new = Project.objects.filter(plan=new_plan)
    linked_old = set(
        in_new.exclude(continues=None).values_list("continues_id", flat=True)
    )
    by_name = {p.name: p for p in in_new.filter(continues=None)}
    tables = {}
    for table in PlanTable.objects.filter(plan=new_plan).order_by("-number"):
        tables[table.sector_id] = table
    for old in unfinished_projects(old_plan):
        if old.pk in linked_old or Project.objects.filter(continues=old).exists():
            report.already += 1
            continue
        match = by_name.pop(old.name, None)
        if match is not None:
            _link(old, match, actor)
            report.linked.append((old.code, match.code))
            continue
        table = tables.get(old.sector_id)
        if table is None or not create:
            report.unmatched.append(old.code)
            continue
        new = _continuation(old, new_plan, table, actor)
        report.created.append((old.code, new.code))
    today = today or timezone.localdate()
    for year in range(new_plan.start_year, today.year + 1):
        # Opening the years follows from the act: the system's, whoever acted.
        opened = year_open(plan=new_plan, year=year, actor=str(_("续建结转")))
        report.year_records += len(opened)
    return report
