"""Dispatch statistics (调度统计) of a plan for a period, by unit.

Counted the way dispatch offices count them, for a month, a quarter or a year
(``periods.StatPeriod``) and for the whole plan, each district, department
(the projects it answers for: its district's, or its sectors'), table and
cluster:

- 开工率 = projects started (在建, 竣工 or 投运 in the latest phase reported for
  a year up to the period's) ÷ projects whose start year has come;
- 竣工率 = projects completed (竣工 or 投运) ÷ projects whose end year has come;
- 投资完成率 = investment completed this year (the cumulative figure of the
  latest progress update of the period's year that ends by the period's end;
  for a whole year, the yearly report's figure) ÷ the year's planned
  investment, read against 序时进度 (months elapsed ÷ 12);
- 按时报送率 = yearly reports and progress updates submitted by their due date
  ÷ those due within the period (and before ``today``);
- problems raised in the period, open (待协调) and being coordinated (协调中)
  at its end, solved in it, and their average days to solve.

Which projects count is ``scope.active_q``; the table is ``scope.TABLE_FIELD``.
Selectors only, a constant number of queries whatever the number of projects.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.models import Cluster, Department, District, Plan
from projects.choices import Phase
from projects.dossier.choices import PROGRESS_EXEMPT_PHASES
from projects.dossier.models import CoordinationProblem, ProgressUpdate
from projects.dossier.selectors import periods_of_year
from projects.models import YearRecord

from . import scope
from .periods import YEAR, StatPeriod

# 已开工: under construction or beyond it (停缓建 and 取消 are not "started").
STARTED_PHASES = frozenset(
    {Phase.UNDER_CONSTRUCTION, Phase.COMPLETED, Phase.IN_OPERATION}
)
# 已竣工: built, whether or not in operation yet.
COMPLETED_PHASES = frozenset({Phase.COMPLETED, Phase.IN_OPERATION})

# The counts kept for every unit, in the order they are shown.
COUNTS = {
    "due_start": _("应开工项目"),
    "started": _("已开工项目"),
    "due_end": _("应竣工项目"),
    "completed": _("已竣工项目"),
    "planned_investment": _("年度计划投资（万元）"),
    "completed_investment": _("累计完成投资（万元）"),
    "reports_due": _("应报送年度报告"),
    "reports_on_time": _("按时报送年度报告"),
    "updates_due": _("应报送进度更新"),
    "updates_on_time": _("按时报送进度更新"),
    "problems_raised": _("新提出问题"),
    "problems_open": _("待协调问题"),
    "problems_handling": _("协调中问题"),
    "problems_solved": _("已解决问题"),
    "solve_days": _("解决问题累计用时（天）"),
}
MONEY = frozenset({"planned_investment", "completed_investment"})
# The rates: (numerator, denominator) of the counts above.
RATES = {
    "start_rate": (_("开工率"), "started", "due_start"),
    "investment_rate": (_("投资完成率"), "completed_investment", "planned_investment"),
    "completion_rate": (_("竣工率"), "completed", "due_end"),
    "on_time_rate": (_("按时报送率"), "on_time", "due"),
}
DIMENSIONS = {
    "district": _("县区"),
    "department": _("责任单位"),
    "table": _("项目表"),
    "cluster": _("集聚区"),
}
TOTAL_KEY = "all"


def _zero() -> dict:
    return {name: (Decimal(0) if name in MONEY else 0) for name in COUNTS}


@dataclass
class UnitStats:
    """The counts and rates of one unit (the plan, a district, a department…)."""

    dimension: str
    code: str
    name: str
    counts: dict = field(default_factory=_zero)

    @property
    def key(self) -> str:
        return (
            TOTAL_KEY
            if self.dimension == TOTAL_KEY
            else f"{self.dimension}:{self.code}"
        )

    def part(self, name: str):
        """A count; ``due`` and ``on_time`` add reports and updates."""
        if name in ("due", "on_time"):
            return self.counts[f"reports_{name}"] + self.counts[f"updates_{name}"]
        return self.counts[name]

    def rate(self, name: str) -> Decimal | None:
        """The rate (0…1, four places), or None where nothing is due."""
        _label, top, bottom = RATES[name]
        denominator = self.part(bottom)
        if not denominator:
            return None
        return (Decimal(self.part(top)) / Decimal(denominator)).quantize(
            Decimal("0.0001")
        )

    @property
    def average_solve_days(self) -> Decimal | None:
        solved = self.counts["problems_solved"]
        if not solved:
            return None
        return (Decimal(self.counts["solve_days"]) / solved).quantize(Decimal("0.1"))

    def add(self, facts: dict) -> None:
        for name, value in facts.items():
            self.counts[name] += value


@dataclass
class Statistics:
    """The statistics of ``plan`` for ``period``, as of ``today``."""

    plan: Plan
    period: StatPeriod
    today: dt.date
    total: UnitStats
    units: dict[str, list[UnitStats]]
    reported: int  # reports and updates filed for the period: 0 = nothing to say
    members: dict[str, set[int]] = field(default_factory=dict)  # unit key → projects
    facts: dict[int, dict] = field(default_factory=dict)  # project → its counts

    @property
    def schedule(self) -> Decimal:
        """序时进度: the share of the year elapsed at the period's end."""
        return (Decimal(self.period.schedule) / 12).quantize(Decimal("0.0001"))

    def unit(self, key: str) -> UnitStats | None:
        if key == TOTAL_KEY:
            return self.total
        dimension = key.split(":", 1)[0]
        return next((u for u in self.units.get(dimension, []) if u.key == key), None)


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return None if moment is None else timezone.localtime(moment).date()


def _project_rows(plan: Plan, year: int) -> list[dict]:
    """Each counting project with its phase as last reported for a year ≤ ``year``."""
    latest_phase = (
        YearRecord.objects.filter(project=OuterRef("pk"), year__lte=year)
        .exclude(phase="")
        .order_by("-year")
        .values("phase")[:1]
    )
    return list(
        scope.plan_projects(plan)
        .order_by()
        .annotate(reported_phase=Subquery(latest_phase))
        .values(
            "id",
            "start_year",
            "end_year",
            "district_id",
            "department_id",
            "sector_id",
            "reported_phase",
            scope.TABLE_FIELD,
        )
    )


def _phase_facts(rows: list[dict], year: int, facts: dict) -> None:
    for row in rows:
        item = facts[row["id"]]
        phase = row["reported_phase"] or ""
        if row["start_year"] <= year:
            item["due_start"] += 1
            item["started"] += phase in STARTED_PHASES
        if row["end_year"] <= year:
            item["due_end"] += 1
            item["completed"] += phase in COMPLETED_PHASES


def _investment_facts(plan: Plan, period: StatPeriod, facts: dict) -> None:
    """Planned and completed investment of the period's year."""
    records = YearRecord.objects.filter(
        scope.active_q(plan, "project__"), year=period.year
    ).order_by()
    latest = (
        ProgressUpdate.objects.filter(
            year_record=OuterRef("pk"), period_end__lte=period.end
        )
        .order_by("-period_end")
        .values("cumulative_investment")[:1]
    )
    for row in records.annotate(cumulative=Subquery(latest)).values(
        "project_id", "planned_investment", "actual_investment", "cumulative"
    ):
        item = facts[row["project_id"]]
        item["planned_investment"] += row["planned_investment"] or 0
        done = row["actual_investment"] if period.kind == YEAR else None
        if done is None:
            done = row["cumulative"]
        item["completed_investment"] += done or 0


def _report_facts(plan: Plan, start: dt.date, last: dt.date, facts: dict) -> None:
    """Yearly reports due in [start, last], and those submitted by their date."""
    for row in (
        YearRecord.objects.filter(
            scope.active_q(plan, "project__"), due_date__gte=start, due_date__lte=last
        )
        .order_by()
        .values("project_id", "due_date", "submitted_at")
    ):
        item = facts[row["project_id"]]
        item["reports_due"] += 1
        on = _local_date(row["submitted_at"])
        item["reports_on_time"] += on is not None and on <= row["due_date"]


def _filed(plan: Plan, period: StatPeriod) -> int:
    """Reports and updates filed for the period: progress updates of periods
    ending in it, yearly reports of its year submitted by its end."""
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())
    updates = ProgressUpdate.objects.filter(
        scope.active_q(plan, "year_record__project__"),
        period_end__gte=period.start,
        period_end__lte=period.end,
    ).count()
    reports = YearRecord.objects.filter(
        scope.active_q(plan, "project__"),
        year=period.year,
        submitted_at__lt=timezone.make_aware(end),
    ).count()
    return updates + reports


def owed_periods(plan: Plan, year: int, start: dt.date, last: dt.date) -> list:
    """The progress periods of ``year`` owed and due within [start, last].

    The last period of a year is not owed: the yearly report covers it. None
    before ``settings.PROJECTS_PROGRESS_SINCE`` (none at all when it is unset).
    """
    since = settings.PROJECTS_PROGRESS_SINCE
    if since is None:
        return []
    periods = periods_of_year(plan.progress_cadence, year)[:-1]
    return [p for p in periods if start <= p.due_date <= last and p.end >= since]


def _update_facts(
    plan: Plan, period: StatPeriod, start: dt.date, last: dt.date, facts: dict
) -> None:
    owed = owed_periods(plan, period.year, start, last)
    if not owed:
        return
    records = (
        YearRecord.objects.filter(scope.active_q(plan, "project__"), year=period.year)
        .exclude(phase__in=PROGRESS_EXEMPT_PHASES)
        .order_by()
    )
    rows = list(records.values("id", "project_id"))
    filed = {
        (u["year_record_id"], u["period"]): _local_date(u["submitted_at"])
        for u in ProgressUpdate.objects.filter(
            year_record__in=records, period__in=[p.key for p in owed]
        ).values("year_record_id", "period", "submitted_at")
    }
    for row in rows:
        item = facts[row["project_id"]]
        for p in owed:
            item["updates_due"] += 1
            on = filed.get((row["id"], p.key))
            item["updates_on_time"] += on is not None and on <= p.due_date


def _problem_facts(plan: Plan, period: StatPeriod, end: dt.date, facts: dict) -> None:
    for row in (
        CoordinationProblem.objects.filter(
            scope.active_q(plan, "project__"), raised_on__lte=end
        )
        .order_by()
        .values("project_id", "raised_on", "handling_since", "solved_at")
    ):
        item = facts[row["project_id"]]
        solved = _local_date(row["solved_at"])
        handling = _local_date(row["handling_since"])
        if row["raised_on"] >= period.start:
            item["problems_raised"] += 1
        if solved is not None and period.start <= solved <= end:
            item["problems_solved"] += 1
            item["solve_days"] += (solved - row["raised_on"]).days
        if solved is None or solved > end:
            if handling is not None and handling <= end:
                item["problems_handling"] += 1
            else:
                item["problems_open"] += 1


def _memberships(plan: Plan, rows: list[dict]) -> dict[str, dict[str, set[int]]]:
    """dimension → unit code → project ids. A department's projects are those it
    answers for, as scopes count them: its own, its district's (a district
    government), its sectors' (a city bureau)."""
    units: dict[str, dict[str, set[int]]] = {d: defaultdict(set) for d in DIMENSIONS}
    districts = dict(District.objects.values_list("id", "code"))
    departments = dict(Department.objects.values_list("id", "code"))
    by_district = defaultdict(list)  # a district government: its district's
    for pk, district_id in Department.objects.filter(
        district__isnull=False
    ).values_list("pk", "district_id"):
        by_district[district_id].append(departments[pk])
    by_sector = defaultdict(list)  # a city bureau: the projects of its sectors
    for pk, sector_id in Department.sectors.through.objects.values_list(
        "department_id", "sector_id"
    ):
        by_sector[sector_id].append(departments[pk])
    for row in rows:
        pid = row["id"]
        units["district"][districts[row["district_id"]]].add(pid)
        for code in (
            departments[row["department_id"]],
            *by_district[row["district_id"]],
            *by_sector[row["sector_id"]],
        ):
            units["department"][code].add(pid)
        units["table"][str(row[scope.TABLE_FIELD])].add(pid)
    through = scope.plan_projects(plan).model.clusters.through
    for project_id, code in through.objects.filter(
        project__in=scope.plan_projects(plan)
    ).values_list("project_id", "cluster__code"):
        units["cluster"][code].add(project_id)
    return units


def _unit_names(plan: Plan, rows: list[dict]) -> dict[str, list[tuple[str, str]]]:
    """dimension → [(code, name)] in the order they are shown: every district,
    department and cluster of the plan, even one without projects."""
    return {
        "district": list(
            District.objects.order_by("order").values_list("code", "name")
        ),
        "department": list(
            Department.objects.order_by("kind", "code").values_list("code", "name")
        ),
        "table": [(str(v), label) for v, label in scope.plan_tables(plan)],
        "cluster": list(
            Cluster.objects.filter(plan=plan)
            .order_by("number")
            .values_list("code", "name")
        ),
    }


def statistics_build(
    plan: Plan, period: StatPeriod, *, today: dt.date | None = None
) -> Statistics:
    """The dispatch statistics of ``plan`` for ``period`` as of ``today``."""
    today = today or timezone.localdate()
    end = min(period.end, today)
    last_due = min(period.end, today - dt.timedelta(days=1))
    rows = _project_rows(plan, period.year)
    facts: dict[int, dict] = {row["id"]: _zero() for row in rows}
    _phase_facts(rows, period.year, facts)
    _investment_facts(plan, period, facts)
    _report_facts(plan, period.start, last_due, facts)
    _update_facts(plan, period, period.start, last_due, facts)
    _problem_facts(plan, period, end, facts)
    total = UnitStats(TOTAL_KEY, TOTAL_KEY, plan.name)
    for item in facts.values():
        total.add(item)
    members = _memberships(plan, rows)
    units: dict[str, list[UnitStats]] = {}
    keys: dict[str, set[int]] = {TOTAL_KEY: set(facts)}
    for dimension, names in _unit_names(plan, rows).items():
        units[dimension] = []
        for code, name in names:
            unit = UnitStats(dimension, code, name)
            for project_id in members[dimension].get(code, ()):
                unit.add(facts[project_id])
            units[dimension].append(unit)
            keys[unit.key] = set(members[dimension].get(code, ()))
    return Statistics(
        plan=plan,
        period=period,
        today=today,
        total=total,
        units=units,
        reported=_filed(plan, period),
        members=keys,
        facts=facts,
    )
