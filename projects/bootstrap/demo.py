"""Synthetic projects for load and benchmark work (``generate_demo``).

The projects look like the plan's (a table, a district, a sector by table, a
construction period from 2016 to 2028, clusters) and carry year records from
their first tracked year to the current one, in plausible states. Everything
is bulk-created in chunks, so 100 000 projects take minutes, not hours.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max

from portfolio.choices import AuditAction, ReviewState
from portfolio.models import AuditEntry, Cluster, Department, District, Plan, Sector
from projects.choices import FINISHED_PHASES, Phase
from projects.models import PlanTable, Project, YearRecord
from projects.selectors import due_date_for

ACTOR = "命令 generate_demo"
SECTOR_OF_TABLE = {
    1: "tourism",
    2: "wellness",
    3: "commerce-logistics",
    4: "culture-creative",
    5: "human-resources",
    6: "education",
    7: "medical-sports",
}
KINDS = {
    1: ["景区提升", "旅游环线", "游客中心", "红色旅游", "民宿集群"],
    2: ["康养中心", "养老服务", "医养结合", "温泉康养"],
    3: ["物流园区", "冷链仓储", "商贸综合体", "农产品市场", "城市配送"],
    4: ["文创园区", "非遗工坊", "文化街区", "演艺中心"],
    5: ["人力资源服务产业园", "就业服务中心"],
    6: ["学校新建", "职教实训基地", "幼儿园建设"],
    7: ["医院扩建", "体育中心", "全民健身中心"],
}
FIRST_NUMBER = 1001  # past every row of the plan's tables
MAX_NUMBER = 32767  # Project.number is a PositiveSmallIntegerField
CHUNK = 5000


@dataclass
class DemoReport:
    projects: int = 0
    year_records: int = 0
    seed: int = 0


def _phase_in(year: int, start: int, end: int, rng: random.Random) -> Phase:
    if year < start:
        return Phase.PREPARING
    if year < end:
        return Phase.UNDER_CONSTRUCTION
    if year == end:
        return rng.choice([Phase.UNDER_CONSTRUCTION, Phase.COMPLETED])
    return rng.choice([Phase.COMPLETED, Phase.IN_OPERATION, Phase.UNDER_CONSTRUCTION])


@dataclass
class _Run:
    """What every chunk of one run shares: the plan's reference data, the random
    generator (one sequence for the whole run, so a seed gives the same data) and
    the next free number in each table."""

    plan: Plan
    rng: random.Random
    today: dt.date
    districts: list[District]
    government: dict[int, Department]
    sectors: dict[str, Sector]
    clusters: list[Cluster]
    next_number: dict[int, int]
    tables: dict
    project_type: ContentType
    actor: str


def demo_generate(
    *, plan: Plan, count: int, seed: int, today: dt.date, actor: str = ACTOR
) -> DemoReport:
    """Add ``count`` synthetic projects with their year records to ``plan``."""
    rng = random.Random(seed)
    districts = list(District.objects.order_by("order"))
    government = {
        d.district_id: d for d in Department.objects.filter(district__isnull=False)
    }
    sectors = {s.code: s for s in Sector.objects.filter(plan=plan)}
    clusters = list(Cluster.objects.filter(plan=plan))
    numbers = {
        row["table__number"]: row["last"]
        for row in Project.objects.filter(plan=plan)
        .values("table__number")
        .annotate(last=Max("number"))
    }
    plan_tables = {t.number: t for t in PlanTable.objects.filter(plan=plan)}
    next_number = {
        number: max(numbers.get(number, 0) + 1, FIRST_NUMBER)
        for number in plan_tables
        if number in KINDS
    }
    capacity = sum(MAX_NUMBER - n + 1 for n in next_number.values())
    if count > capacity:
        raise ValueError(f"最多还能生成 {capacity} 个演示项目（序号已近上限）。")
    run = _Run(
        plan=plan,
        rng=rng,
        today=today,
        districts=districts,
        government=government,
        sectors=sectors,
        clusters=clusters,
        next_number=next_number,
        tables=plan_tables,
        project_type=ContentType.objects.get_for_model(Project),
        actor=actor,
    )
    report = DemoReport(seed=seed)
    remaining = count
    while remaining:
        size = min(CHUNK, remaining)
        with transaction.atomic():
            _chunk(run, size, report)
        remaining -= size
    return report


def _chunk(run: _Run, size: int, report: DemoReport) -> None:
    """Create ``size`` projects with their year records, clusters and history."""
    tables = [t for t in run.next_number if run.next_number[t] <= MAX_NUMBER]
    projects = [_project(run, tables) for _ in range(size)]
    Project.objects.bulk_create(projects, batch_size=1000)

    records, cluster_links = [], []
    for project in projects:
        cluster_links += _cluster_links(run, project)
        project.phase = _year_records(run, project, records)
    YearRecord.objects.bulk_create(records, batch_size=5000)
    Project.objects.bulk_update(projects, ["phase"], batch_size=1000)
    Project.clusters.through.objects.bulk_create(cluster_links, batch_size=5000)
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(
                content_type=run.project_type,
                object_id=str(project.pk),
                object_repr=str(project)[:300],
                action=AuditAction.CREATE,
                actor_label=run.actor,
                changes={"code": [None, project.code]},
                reason="演示数据",
            )
            for project in projects
        ),
        batch_size=5000,
    )
    report.projects += len(projects)
    report.year_records += len(records)


def _project(run: _Run, tables: list[int]) -> Project:
    """One synthetic project (unsaved), numbered next in a random table.

    ``tables`` holds the tables with numbers left; a table that runs out is
    removed from it.
    """
    rng = run.rng
    table = rng.choice(tables)
    number = run.next_number[table]
    run.next_number[table] += 1
    if run.next_number[table] > MAX_NUMBER:
        tables.remove(table)
    district = rng.choice(run.districts)
    start = rng.randint(2016, run.today.year + 1)
    end = start + rng.choice([0, 1, 2, 2, 3, 3, 4, 5])
    kind = rng.choice(KINDS[table])
    return Project(
        plan=run.plan,
        code=f"t{table}-d{number:05d}",
        table=run.tables[table],
        number=number,
        name=f"{district.name}{kind}项目（演示{number}）",
        district=district,
        sector=run.sectors[SECTOR_OF_TABLE[table]],
        department=run.government[district.pk],
        period=f"{start}-{end}" if end > start else str(start),
        start_year=start,
        end_year=end,
        content=f"演示数据：{kind}，总投资约{rng.randint(1, 200) * 1000}万元，"
        f"建筑面积{rng.randint(1, 90) * 1000}平方米。",
    )


def _cluster_links(run: _Run, project: Project) -> list:
    """A project's cluster rows: three projects in ten belong to one or two."""
    rng = run.rng
    if rng.random() >= 0.3:
        return []
    return [
        Project.clusters.through(project_id=project.pk, cluster_id=cluster.pk)
        for cluster in rng.sample(run.clusters, rng.choice([1, 1, 2]))
    ]


def _year_records(run: _Run, project: Project, records: list[YearRecord]) -> Phase:
    """Append the project's year records to ``records``; return its latest phase.

    One record a year from its first tracked year to this one, stopping at the
    year it is finished.
    """
    rng = run.rng
    first = max(project.start_year, run.plan.start_year)
    phase = Phase.PREPARING
    for year in range(first, run.today.year + 1):
        phase = _phase_in(year, project.start_year, project.end_year, rng)
        due = due_date_for(run.plan, year)
        current = year == run.today.year
        state = (
            rng.choice([ReviewState.DRAFT, ReviewState.SUBMITTED])
            if current
            else rng.choice(
                [ReviewState.APPROVED] * 8 + [ReviewState.DRAFT, ReviewState.RETURNED]
            )
        )
        planned = Decimal(rng.randint(100, 50_000))
        done = phase in FINISHED_PHASES
        records.append(
            YearRecord(
                project=project,
                year=year,
                state=state,
                phase=phase,
                planned_investment=planned,
                actual_investment=(
                    planned * Decimal(rng.randint(40, 110)) / 100
                ).quantize(Decimal("0.01")),
                percent_complete=Decimal(100) if done else Decimal(rng.randint(0, 95)),
                progress="演示数据：按计划推进。",
                due_date=due,
            )
        )
        if done:
            break
    return phase
