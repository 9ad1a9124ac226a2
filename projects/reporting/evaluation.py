"""The figures of a plan's evaluation (终期评估, 中期评估) at a year.

- each indicator with its baseline, end-of-plan target, latest approved value
  and a grade: 已达期末目标 / 超进度 / 达进度 / 滞后 / 未报送, judged with the
  indicator's own direction and each target's tolerance (``indicators.progress``);
- projects by phase, completion and investment (cumulative over the plan's
  years up to the year) by table, cluster and district;
- the clusters' results; the projects to carry over; the problems.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from indicators.choices import (
    REPORTED_STATES,
    Direction,
    Measure,
    ProgressStatus,
    TargetKind,
)
from indicators.models import Indicator
from indicators.progress import indicator_progress, satisfies
from portfolio.choices import ReviewState
from portfolio.models import Cluster, District, Plan
from projects.choices import FINISHED_PHASES, Phase, phase_label
from projects.dossier.models import CoordinationProblem
from projects.models import Project, YearRecord

from . import scope
from .statistics import COMPLETED_PHASES


class Grade:
    """The grades of the evaluation's indicator table, in the plan office's words."""

    REACHED = "reached"
    AHEAD = "ahead"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NOT_REPORTED = "not_reported"
    LABELS = {
        REACHED: _("已达期末目标"),
        AHEAD: _("超进度"),
        ON_TRACK: _("达进度"),
        BEHIND: _("滞后"),
        NOT_REPORTED: _("未报送"),
    }


END_KINDS = frozenset(
    {TargetKind.AT_LEAST, TargetKind.AT_MOST, TargetKind.RANGE, TargetKind.APPROXIMATE}
)


@dataclass
class IndicatorGrade:
    indicator: Indicator
    baseline: Decimal | None
    target: str
    value: Decimal | None  # the latest approved value
    value_year: int | None
    grade: str

    @property
    def grade_label(self) -> str:
        return str(Grade.LABELS[self.grade])


def _end_targets(indicator: Indicator) -> list:
    end = indicator.plan.end_year
    return [
        t
        for t in indicator.targets.all()
        if (t.year is None or t.year == end)
        and (t.kind in END_KINDS or t.kind == TargetKind.YEARLY)
    ]


def _ahead(indicator: Indicator, expected, actual) -> bool:
    if expected is None or actual is None:
        return False
    if indicator.direction == Direction.HIGHER_IS_BETTER:
        return actual > expected
    if indicator.direction == Direction.LOWER_IS_BETTER:
        return actual < expected
    return False


def indicator_grade(indicator: Indicator, year: int) -> IndicatorGrade:
    """The grade of ``indicator`` at ``year`` (its latest reported year ≤ it)."""
    values = [v for v in indicator.values.all() if v.year and v.year <= year]
    reported = sorted(
        (v for v in values if v.state in REPORTED_STATES), key=lambda v: v.year
    )
    approved = [v for v in reported if v.state == ReviewState.APPROVED]
    latest = approved[-1] if approved else None
    targets = _end_targets(indicator)
    target_text = gettext("；").join(t.text for t in targets) or "—"
    grade = Grade.NOT_REPORTED
    if reported:
        last = reported[-1]
        progress = indicator_progress(indicator, last.year, values=values)
        level_targets = [t for t in targets if t.kind in END_KINDS]
        if (
            indicator.measure != Measure.RATE
            and last.value is not None
            and level_targets
            and all(satisfies(indicator, t, last.value) for t in level_targets)
        ):
            grade = Grade.REACHED
        elif progress.status == ProgressStatus.BEHIND:
            grade = Grade.BEHIND
        elif progress.status == ProgressStatus.NOT_REPORTED:
            grade = Grade.NOT_REPORTED
        elif last.year == indicator.plan.end_year:
            grade = Grade.REACHED
        elif _ahead(indicator, progress.expected, progress.actual):
            grade = Grade.AHEAD
        else:
            grade = Grade.ON_TRACK
    return IndicatorGrade(
        indicator=indicator,
        baseline=indicator.baseline_value,
        target=target_text,
        value=latest.value if latest else None,
        value_year=latest.year if latest else None,
        grade=grade,
    )


def indicator_grades(plan: Plan, year: int) -> list[IndicatorGrade]:
    indicators = Indicator.objects.filter(plan=plan).prefetch_related(
        "targets", "values"
    )
    return [indicator_grade(i, year) for i in indicators.order_by("order")]


@dataclass
class Completion:
    """Projects and investment of one unit over the plan's years up to ``year``."""

    code: str
    name: str
    projects: int = 0
    completed: int = 0
    phases: Counter = field(default_factory=Counter)
    planned: Decimal = Decimal(0)
    done: Decimal = Decimal(0)

    @property
    def completion_rate(self) -> Decimal | None:
        if not self.projects:
            return None
        return (Decimal(self.completed) / self.projects).quantize(Decimal("0.0001"))

    @property
    def investment_rate(self) -> Decimal | None:
        if not self.planned:
            return None
        return (self.done / self.planned).quantize(Decimal("0.0001"))


def reported_phases(plan: Plan, year: int) -> dict[int, str]:
    """Each project's phase as last reported for a year up to ``year``."""
    phases: dict[int, str] = {}
    for pid, phase in (
        YearRecord.objects.filter(scope.active_q(plan, "project__"), year__lte=year)
        .exclude(phase="")
        .order_by("project_id", "year")
        .values_list("project_id", "phase")
    ):
        phases[pid] = phase
    return phases


def completion(plan: Plan, year: int) -> dict[str, list[Completion]]:
    """dimension ("all", "table", "district", "cluster") → its units."""
    phases = reported_phases(plan, year)
    money = {
        row["project_id"]: (row["p"] or Decimal(0), row["a"] or Decimal(0))
        for row in YearRecord.objects.filter(
            scope.active_q(plan, "project__"), year__lte=year
        )
        .values("project_id")
        .annotate(p=Sum("planned_investment"), a=Sum("actual_investment"))
        .order_by()
    }
    units: dict[str, dict[str, Completion]] = defaultdict(dict)
    for code, name in District.objects.order_by("order").values_list("code", "name"):
        units["district"][code] = Completion(code, name)
    for value, label in scope.plan_tables(plan):
        units["table"][str(value)] = Completion(str(value), label)
    for code, name in (
        Cluster.objects.filter(plan=plan).order_by("number").values_list("code", "name")
    ):
        units["cluster"][code] = Completion(code, name)
    units["all"]["all"] = Completion("all", plan.name)
    clusters = defaultdict(list)
    through = Project.clusters.through
    for pid, code in through.objects.filter(
        project__in=scope.plan_projects(plan)
    ).values_list("project_id", "cluster__code"):
        clusters[pid].append(code)
    for row in scope.plan_projects(plan).values(
        "id", "district__code", scope.TABLE_FIELD
    ):
        pid = row["id"]
        keys = [
            ("all", "all"),
            ("district", row["district__code"]),
            ("table", str(row[scope.TABLE_FIELD])),
            *(("cluster", c) for c in clusters[pid]),
        ]
        phase = phases.get(pid, "")
        planned, done = money.get(pid, (Decimal(0), Decimal(0)))
        for dimension, key in keys:
            unit = units[dimension][key]
            unit.projects += 1
            unit.completed += phase in COMPLETED_PHASES
            unit.phases[phase] += 1
            unit.planned += planned
            unit.done += done
    return {dimension: list(found.values()) for dimension, found in units.items()}


def phase_columns() -> list[tuple[str, str]]:
    return [(str(p), str(p.label)) for p in Phase] + [("", phase_label(""))]


def carry_over(plan: Plan, year: int) -> tuple[list[Project], bool]:
    """The projects carried into the next plan, where ``carry_over`` has linked
    them; before that, those unfinished at ``year``. And which of the two it is
    (``scope.carry_over_recorded``)."""
    projects = scope.plan_projects(plan).select_related("district", "department")
    if scope.carry_over_recorded(plan):
        return list(projects.filter(continued_by__isnull=False)), True
    phases = reported_phases(plan, year)
    return [p for p in projects if phases.get(p.pk, "") not in FINISHED_PHASES], False


def plan_problems(plan: Plan, year: int) -> dict:
    """Problems raised up to ``year``: raised, solved, still open, average days
    from raised to solved (local dates, counted in Python: any database)."""
    rows = CoordinationProblem.objects.filter(
        scope.active_q(plan, "project__"), raised_on__year__lte=year
    ).values_list("raised_on", "solved_at")
    raised = solved = days = 0
    for raised_on, solved_at in rows:
        raised += 1
        if solved_at is not None:
            solved += 1
            days += (timezone.localtime(solved_at).date() - raised_on).days
    average = (Decimal(days) / solved).quantize(Decimal("0.1")) if solved else None
    return {
        "raised": raised,
        "solved": solved,
        "open": raised - solved,
        "average_solve_days": _text(average),
    }


def _text(value) -> str | None:
    return None if value is None else str(value)


def _unit(unit: Completion) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "projects": unit.projects,
        "completed": unit.completed,
        "completion_rate": _text(unit.completion_rate),
        "planned": _text(unit.planned),
        "done": _text(unit.done),
        "investment_rate": _text(unit.investment_rate),
        "phases": {
            code or "not_reported": unit.phases.get(code, 0)
            for code, _label in phase_columns()
        },
    }


def _grade(g: IndicatorGrade) -> dict:
    return {
        "code": g.indicator.code,
        "name": g.indicator.name,
        "unit": g.indicator.unit,
        "baseline": _text(g.baseline),
        "target": g.target,
        "value": _text(g.value),
        "value_year": g.value_year,
        "grade": g.grade,
        "grade_display": g.grade_label,
    }


def evaluation_summary(plan: Plan, year: int) -> dict:
    """The evaluation's figures as plain JSON: what the API answers at
    ``/api/v1/statistics/evaluation/`` and the documents show."""
    grades = indicator_grades(plan, year)
    units = completion(plan, year)
    clusters = {c.code: c for c in Cluster.objects.filter(plan=plan)}
    carried, recorded = carry_over(plan, year)
    cluster_rows = []
    for unit in units["cluster"]:
        row = _unit(unit)
        row["level_display"] = str(clusters[unit.code].get_level_display())
        row["planned_output"] = _text(clusters[unit.code].planned_output)
        cluster_rows.append(row)
    return {
        "plan": plan.code,
        "year": year,
        "indicators": [_grade(g) for g in grades],
        "grades": {g: sum(1 for i in grades if i.grade == g) for g in Grade.LABELS},
        "completion": {
            "all": _unit(units["all"][0]),
            "table": [_unit(u) for u in units["table"]],
            "district": [_unit(u) for u in units["district"]],
            "cluster": cluster_rows,
        },
        "carried_over": {
            "recorded": recorded,
            "projects": [p.code for p in carried],
        },
        "problems": plan_problems(plan, year),
    }
