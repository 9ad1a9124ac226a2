"""``load_plan``: put the plan's data from ``fixtures/`` into the database.

Idempotent and respectful of clerks' work:
- a missing row is created;
- an existing project is refreshed only in the fields whose current value is still
  the value last loaded from the plan (``Project.seed``): a clerk's edit is kept
  and reported, never overwritten;
- reference rows (districts, sectors, clusters, departments, indicators) are
  created when missing and otherwise left as they are;
- year records are opened for every tracked year up to the current one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from portfolio.choices import AuditAction, Role
from portfolio.fixtures import DEPARTMENTS_FIXTURE, PLAN_FIXTURE, load_json
from portfolio.models import Cluster, Department, District, Plan, Sector
from portfolio.services import Actor, audit_log, role_group_ensure
from projects.exchange.plan_loading import PlanLoadReport
from projects.models import PlanTable, Project
from projects.services import year_open

SEEDED_PROJECT_FIELDS = [
    "name",
    "district",
    "sector",
    "period",
    "start_year",
    "end_year",
    "content",
]

ROLE_PERMISSIONS = {
    Role.CLERK: [
        "portfolio.view_plan",
        "portfolio.view_district",
        "portfolio.view_sector",
        "portfolio.view_cluster",
        "portfolio.view_department",
        "portfolio.view_auditentry",
        "projects.view_project",
        "projects.change_project",
        "projects.view_yearrecord",
        "projects.change_yearrecord",
        "projects.view_plantable",
        "projects.view_adjustment",
        "projects.add_adjustment",
        "projects.change_adjustment",
        "indicators.view_indicator",
        "indicators.view_indicatortarget",
    ],
    Role.SUPERVISOR: [
        "portfolio.view_plan",
        "portfolio.view_district",
        "portfolio.view_sector",
        "portfolio.view_cluster",
        "portfolio.view_department",
        "portfolio.view_auditentry",
        "projects.view_project",
        # To move a project (district, sector, department) on its page.
        "projects.change_project",
        "projects.view_yearrecord",
        "projects.change_yearrecord",
        "projects.view_plantable",
        "projects.view_adjustment",
        "projects.add_adjustment",
        "projects.change_adjustment",
        "indicators.view_indicator",
        "indicators.view_indicatortarget",
    ],
}


class LoadReport(PlanLoadReport):
    """What loading the seed plan did: the workbook loader's report, in the
    words of the plan's text."""

    def updated_line(self, name: str, number: int) -> str:
        return gettext("按规划更新 %(name)s: %(count)s") % {
            "name": name,
            "count": number,
        }

    def unchanged_line(self) -> str:
        return gettext("无变化：数据库已与规划一致。")


def roles_ensure() -> None:
    """Create the three role groups with their permissions (idempotent)."""
    for role in Role:
        group = role_group_ensure(role=role)
        if role == Role.ADMINISTRATOR:
            wanted = Permission.objects.filter(
                content_type__app_label__in=[
                    "portfolio",
                    "projects",
                    "indicators",
                    "auth",
                    "django_celery_beat",
                ]
            )
        else:
            names = ROLE_PERMISSIONS[role]
            wanted = Permission.objects.filter(
                content_type__app_label__in={n.split(".")[0] for n in names},
                codename__in=[n.split(".")[1] for n in names],
            )
        group.permissions.add(*wanted)


def _seed_values(row: dict, districts: dict, sectors: dict) -> dict:
    return {
        "name": row["name"],
        "district": districts[row["district"]].code,
        "sector": sectors[row["sector"]].code,
        "period": row["period"],
        "start_year": row["start_year"],
        "end_year": row["end_year"],
        "content": row["content"],
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


ACTOR = gettext_lazy("命令 load_plan")


@transaction.atomic
def plan_load(*, actor: Actor | None = ACTOR, today: dt.date | None = None):
    """Load the plan from ``fixtures/``; return a LoadReport of what changed."""
    actor = str(actor) if isinstance(actor, Promise) else actor  # audit wants a str
    today = today or timezone.localdate()
    data = load_json(PLAN_FIXTURE)
    report = LoadReport()
    roles_ensure()
    plan = _plan_ensure(data["plan"], actor, report)
    districts = _districts_ensure(data["districts"], report)
    sectors = _sectors_ensure(plan, data["sectors"], report)
    _clusters_ensure(plan, data["clusters"], districts, report)
    departments = _departments_ensure(
        load_json(DEPARTMENTS_FIXTURE)["departments"], districts, sectors, report
    )
    government_of = {
        d.district_id: d for d in departments.values() if d.district_id is not None
    }
    tables = tables_ensure(plan, data["tables"], sectors, report)
    existing = {
        p.code: p
        for p in Project.objects.filter(plan=plan).select_related("district", "sector")
    }
    for row in data["projects"]:
        seed_values = _seed_values(row, districts, sectors)
        project = existing.get(row["code"])
        if project is None:
            _project_create(
                plan,
                dict(row, table=tables[row["table"]]),
                seed_values,
                districts,
                sectors,
                government_of,
                actor,
            )
            report.count(report.created, gettext("项目"))
        else:
            _project_refresh(project, seed_values, districts, sectors, actor, report)

    _load_indicators(plan, data["indicators"], report)

    for year in range(plan.start_year, today.year + 1):
        report.year_records += len(year_open(plan=plan, year=year, actor=actor))
    return report


def _plan_ensure(row: dict, actor: Actor | None, report: LoadReport) -> Plan:
    """The plan of ``row`` (by its code), created when missing."""
    plan = Plan.objects.filter(code=row["code"]).first()
    if plan is None:
        plan = Plan(**row)
        plan.full_clean()
        plan.save()
        audit_log(instance=plan, action=AuditAction.LOAD, actor=actor)
        report.count(report.created, gettext("规划"))
    return plan


def tables_ensure(
    plan: Plan, rows: list[dict], sectors: dict[str, Sector], report: LoadReport
) -> dict[int, PlanTable]:
    """The plan's tables by number; missing ones created (title, sector)."""
    tables = {t.number: t for t in PlanTable.objects.filter(plan=plan)}
    for row in rows:
        if row["number"] not in tables:
            table = PlanTable(
                plan=plan,
                number=row["number"],
                title=row["title"],
                sector=sectors[row["sector"]],
            )
            table.full_clean()
            table.save()
            tables[table.number] = table
            report.count(report.created, gettext("项目表"))
    return tables


def _districts_ensure(rows: list[dict], report: LoadReport) -> dict[str, District]:
    """Every district by code; the plan's missing ones created."""
    districts = {d.code: d for d in District.objects.all()}
    for row in rows:
        if row["code"] not in districts:
            district = District(**row)
            district.full_clean()
            district.save()
            districts[district.code] = district
            report.count(report.created, gettext("县区"))
    return districts


def _sectors_ensure(
    plan: Plan, rows: list[dict], report: LoadReport
) -> dict[str, Sector]:
    """The plan's sectors by code; missing ones created."""
    sectors = {s.code: s for s in Sector.objects.filter(plan=plan)}
    for row in rows:
        if row["code"] not in sectors:
            values = {k: v for k, v in row.items() if k != "tier_text"}
            sector = Sector(plan=plan, **values)
            sector.full_clean()
            sector.save()
            sectors[sector.code] = sector
            report.count(report.created, gettext("产业"))
    return sectors


def _clusters_ensure(
    plan: Plan, rows: list[dict], districts: dict[str, District], report: LoadReport
) -> None:
    """The plan's clusters, with their districts; missing ones created."""
    clusters = {c.code: c for c in Cluster.objects.filter(plan=plan)}
    for row in rows:
        if row["code"] not in clusters:
            values = {k: v for k, v in row.items() if k != "districts"}
            values["planned_output"] = Decimal(values["planned_output"])
            cluster = Cluster(plan=plan, **values)
            cluster.full_clean(exclude=["districts"])
            cluster.save()
            cluster.districts.set([districts[code] for code in row["districts"]])
            clusters[cluster.code] = cluster
            report.count(report.created, gettext("集聚区"))


def _departments_ensure(
    rows: list[dict],
    districts: dict[str, District],
    sectors: dict[str, Sector],
    report: LoadReport,
) -> dict[str, Department]:
    """Every department by code; missing ones created with their sectors."""
    departments = {d.code: d for d in Department.objects.all()}
    for row in rows:
        if row["code"] not in departments:
            department = Department(
                code=row["code"],
                name=row["name"],
                kind=row["kind"],
                district=districts[row["district"]] if row["district"] else None,
            )
            department.full_clean()
            department.save()
            department.sectors.set(
                [s for code, s in sectors.items() if code in row["sectors"]]
            )
            departments[department.code] = department
            report.count(report.created, gettext("责任单位"))
    return departments


def _project_create(
    plan: Plan,
    row: dict,
    seed_values: dict,
    districts: dict[str, District],
    sectors: dict[str, Sector],
    government_of: dict[int, Department],
    actor: Actor | None,
) -> Project:
    """A project of the plan not in the database yet, under its district's
    government, remembering what was loaded (``seed``)."""
    district = districts[row["district"]]
    project = Project(
        plan=plan,
        code=row["code"],
        table=row["table"],
        number=row["number"],
        name=row["name"],
        district=district,
        sector=sectors[row["sector"]],
        department=government_of[district.pk],
        period=row["period"],
        start_year=row["start_year"],
        end_year=row["end_year"],
        content=row["content"],
        seed=seed_values,
    )
    project.full_clean()
    project.save()
    audit_log(instance=project, action=AuditAction.LOAD, actor=actor)
    return project


def _project_refresh(
    project: Project,
    seed_values: dict,
    districts: dict[str, District],
    sectors: dict[str, Sector],
    actor: Actor | None,
    report: LoadReport,
) -> None:
    """Bring an existing project to the plan, field by field, where nobody edited it.

    A field whose current value is no longer the one last loaded (``seed``) was
    changed by a clerk: it is kept, and reported if the plan now says otherwise.
    """
    current = _current_values(project)
    previous_seed = project.seed or seed_values
    changes = {}
    for name in SEEDED_PROJECT_FIELDS:
        if seed_values[name] == previous_seed.get(name) == current[name]:
            continue
        if current[name] != previous_seed.get(name):
            if current[name] != seed_values[name]:
                report.kept.append(f"{project.code} {name}")
            continue
        changes[name] = [current[name], seed_values[name]]
    if not changes and project.seed == seed_values:
        return
    for name, (_, value) in changes.items():
        if name == "district":
            project.district = districts[value]
        elif name == "sector":
            project.sector = sectors[value]
        else:
            setattr(project, name, value)
    project.seed = seed_values
    project.full_clean()
    project.save()
    if changes:
        audit_log(
            instance=project,
            action=AuditAction.LOAD,
            actor=actor,
            changes=changes,
        )
        report.count(report.updated, gettext("项目"))


def _load_indicators(plan: Plan, rows: list[dict], report: LoadReport) -> None:
    """Every quantified target of the plan, from fixtures/indicators.json.

    ``rows`` are plan.json's 专栏7 rows; the indicators app checks that its own
    fixture agrees with them (see indicators/loader.py).
    """
    from indicators.loader import indicators_load

    indicators_load(plan=plan, report=report, column7=rows, actor=str(ACTOR))
