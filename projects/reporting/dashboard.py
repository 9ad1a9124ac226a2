"""The supervisors' dashboard: the state of the portfolio at a glance.

Selectors only (no writes). ``dashboard_build`` reads everything in a constant
number of queries, whatever the number of projects, within the user's scope:
all-city supervisors and administrators see the whole portfolio, clerks and
district supervisors their departments' part. Every figure carries the URL of
the admin changelist that lists what it counts.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from indicators.choices import TargetKind
from indicators.models import Indicator
from portfolio.choices import UNSUBMITTED_STATES, ReviewState
from portfolio.models import Plan
from portfolio.selectors import Scope, current_plan, user_scope
from projects.choices import FINISHED_PHASES, HealthLight, Phase, phase_label
from projects.models import Project, YearRecord
from projects.selectors import ALL_YEARS, overdue_year_records, projects_of_plan

try:  # The indicators app judges progress where that work has landed.
    from indicators.progress import indicator_progress
except ImportError:  # pragma: no cover - depends on the merged apps
    indicator_progress = None

NOT_REPORTED = ""  # a project whose phase nobody has reported yet
# The same column in the API's JSON, where a key must not be empty.
NOT_REPORTED_KEY = "not_reported"
PHASE_COLUMNS: list[tuple[str, str]] = [(str(p), str(p.label)) for p in Phase] + [
    (NOT_REPORTED, gettext_lazy("未填报"))
]
OVERDUE_LIMIT = 20


# The plan a dashboard being built shows, when it is not the current one: its
# links open the lists of that plan (the lists' plan picker, ``?plan=``).
_shown_plan: ContextVar[str | None] = ContextVar("dashboard_plan", default=None)


def _url(name: str, **params: Any) -> str:
    url = reverse(name)
    plan = _shown_plan.get()
    if plan:
        params = {"plan": plan, **params}
    return f"{url}?{urlencode(params)}" if params else url


def project_list_url(**params: Any) -> str:
    return _url("admin:projects_project_changelist", **params)


def record_list_url(**params: Any) -> str:
    return _url("admin:projects_yearrecord_changelist", **params)


@dataclass(frozen=True)
class Figure:
    """A number and the list behind it."""

    value: int | Decimal
    url: str


@dataclass(frozen=True)
class MatrixRow:
    key: str
    label: str
    cells: list[Figure]
    total: Figure


@dataclass(frozen=True)
class Matrix:
    """Projects counted by phase (columns) × a dimension (rows), with totals."""

    dimension: str
    columns: list[tuple[str, str]]
    rows: list[MatrixRow]
    column_totals: list[Figure]
    total: Figure


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    figure: Figure


@dataclass(frozen=True)
class OverdueItem:
    """One overdue thing: a report not submitted, or a project behind its years."""

    kind: str
    kind_label: str
    subject: str
    detail: str
    since: dt.date
    days: int
    url: str


@dataclass(frozen=True)
class InvestmentRow:
    key: str
    label: str
    records: int
    planned: Decimal
    actual: Decimal
    url: str

    @property
    def ratio(self) -> Decimal | None:
        """Actual as a percentage of planned (None when nothing is planned)."""
        if not self.planned:
            return None
        return (self.actual * 100 / self.planned).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    name: str
    unit: str
    url: str
    targets: list[tuple[int, Decimal, str]]  # (year, value, the plan's words)
    growth_text: str = ""
    progress_year: int | None = None
    status: str = ""
    status_label: str = ""
    expected: Decimal | None = None
    actual: Decimal | None = None
    # The target's words for every year of the plan ("—" where none), for tables.
    year_texts: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Dashboard:
    """Everything the dashboard shows for one user and one year."""

    year: int
    today: dt.date
    everything: bool
    projects: Figure
    phase_by_sector: Matrix
    phase_by_district: Matrix
    reports_by_state: list[StateCount]
    reports_total: Figure
    overdue: list[OverdueItem]
    overdue_counts: dict[str, Figure]
    investment: list[InvestmentRow]
    investment_total: InvestmentRow
    indicators: list[IndicatorRow] = field(default_factory=list)
    indicator_progress: bool = False
    lights: list[StateCount] = field(default_factory=list)
    # The plan shown (``?plan=``; the current plan by default).
    plan: Plan | None = None

    @property
    def overdue_total(self) -> int:
        return sum(int(f.value) for f in self.overdue_counts.values())


OVERDUE_KINDS = {
    "report": gettext_lazy("逾期未报"),
    "past_end": gettext_lazy("超期未完工"),
    "late_start": gettext_lazy("到期未开工"),
}


def _matrix(
    projects: QuerySet[Project], dimension: str, label: str, order: str, param: str
) -> Matrix:
    """Phase × ``dimension`` counts in one query; rows in the plan's order."""
    counts: dict[tuple[int, str], int] = {}
    labels: dict[int, tuple[int, str]] = {}
    for row in projects.values(
        f"{dimension}_id", f"{dimension}__{label}", f"{dimension}__{order}", "phase"
    ).annotate(n=Count("id")):
        key = row[f"{dimension}_id"]
        labels[key] = (row[f"{dimension}__{order}"], row[f"{dimension}__{label}"])
        counts[key, row["phase"]] = counts.get((key, row["phase"]), 0) + row["n"]
    rows = []
    for key in sorted(labels, key=lambda k: labels[k]):
        cells = [
            Figure(
                counts.get((key, phase), 0),
                project_list_url(**{param: key, "phase": phase}),
            )
            for phase, _ in PHASE_COLUMNS
        ]
        rows.append(
            MatrixRow(
                str(key),
                labels[key][1],
                cells,
                Figure(
                    sum(int(c.value) for c in cells), project_list_url(**{param: key})
                ),
            )
        )
    column_totals = [
        Figure(
            sum(counts.get((key, phase), 0) for key in labels),
            project_list_url(phase=phase),
        )
        for phase, _ in PHASE_COLUMNS
    ]
    return Matrix(
        dimension,
        PHASE_COLUMNS,
        rows,
        column_totals,
        Figure(sum(counts.values()), project_list_url()),
    )


def _overdue(
    projects: QuerySet[Project], scope: Scope, today: dt.date
) -> tuple[list[OverdueItem], dict[str, Figure]]:
    """The most urgent overdue items (longest overdue first) and the counts by kind.

    A report is overdue from its due date; a project past its end year from the
    end of that year; a project late to start from the start of its start year.
    """
    past_end = Q(end_year__lt=today.year) & ~Q(phase__in=FINISHED_PHASES)
    late_start = Q(start_year__lte=today.year, phase=Phase.PREPARING) & ~past_end
    overdue_records = overdue_year_records(today).filter(scope.project_q("project__"))
    counts = projects.aggregate(
        past_end=Count("id", filter=past_end), late_start=Count("id", filter=late_start)
    )
    counts["report"] = overdue_records.count()
    items = [
        *_overdue_reports(overdue_records, today),
        *_past_end_items(projects.filter(past_end), today),
        *_late_start_items(projects.filter(late_start), today),
    ]
    # Longest overdue first; ties keep the database order (the plan's order).
    rank = list(OVERDUE_KINDS)
    items.sort(key=lambda item: (-item.days, rank.index(item.kind)))
    return items[:OVERDUE_LIMIT], _overdue_figures(counts, today)


def _overdue_reports(
    records: QuerySet[YearRecord], today: dt.date
) -> list[OverdueItem]:
    """The reports longest past their due date (at most ``OVERDUE_LIMIT``)."""
    return [
        OverdueItem(
            "report",
            str(OVERDUE_KINDS["report"]),
            str(record.project),
            gettext("%(year)s年度报告（%(state)s），截止 %(due)s")
            % {
                "year": record.year,
                "state": ReviewState(record.state).label,
                "due": f"{record.due_date:%Y-%m-%d}",
            },
            record.due_date,
            (today - record.due_date).days,
            reverse("admin:projects_yearrecord_change", args=[record.pk]),
        )
        for record in records.select_related("project", "project__table").order_by(
            "due_date", "project__table__number", "project__number"
        )[:OVERDUE_LIMIT]
    ]


def _past_end_items(projects: QuerySet[Project], today: dt.date) -> list[OverdueItem]:
    """Projects longest past their end year and not finished."""
    items = []
    ordered = projects.select_related("table").order_by(
        "end_year", "table__number", "number"
    )
    for project in ordered[:OVERDUE_LIMIT]:
        since = dt.date(project.end_year, 12, 31)
        phase = phase_label(
            project.phase, year=today.year, start_year=project.start_year
        )
        items.append(
            OverdueItem(
                "past_end",
                str(OVERDUE_KINDS["past_end"]),
                str(project),
                gettext("建设年限 %(period)s，当前阶段：%(phase)s")
                % {"period": project.period, "phase": phase},
                since,
                (today - since).days,
                reverse("admin:projects_project_change", args=[project.pk]),
            )
        )
    return items


def _late_start_items(projects: QuerySet[Project], today: dt.date) -> list[OverdueItem]:
    """Projects whose start year came longest ago and that are still preparing."""
    items = []
    ordered = projects.select_related("table").order_by(
        "start_year", "table__number", "number"
    )
    for project in ordered[:OVERDUE_LIMIT]:
        since = dt.date(project.start_year, 1, 1)
        items.append(
            OverdueItem(
                "late_start",
                str(OVERDUE_KINDS["late_start"]),
                str(project),
                gettext("计划 %(year)s 年开工，仍处于前期")
                % {"year": project.start_year},
                since,
                (today - since).days,
                reverse("admin:projects_project_change", args=[project.pk]),
            )
        )
    return items


def _overdue_figures(counts: dict[str, int], today: dt.date) -> dict[str, Figure]:
    """The count of each overdue kind, linked to the list it counts."""
    not_finished = ",".join(
        [NOT_REPORTED] + [str(p) for p in Phase if p not in FINISHED_PHASES]
    )
    return {
        "report": Figure(
            counts["report"],
            record_list_url(
                year=ALL_YEARS,
                state__in=",".join(str(s) for s in sorted(UNSUBMITTED_STATES)),
                due_date__lt=today.isoformat(),
            ),
        ),
        "past_end": Figure(
            counts["past_end"],
            project_list_url(end_year__lt=today.year, phase__in=not_finished),
        ),
        # Late to start and past its end year counts as past its end (above).
        "late_start": Figure(
            counts["late_start"],
            project_list_url(
                start_year__lte=today.year,
                end_year__gte=today.year,
                phase=Phase.PREPARING.value,
            ),
        ),
    }


def _investment(
    records: QuerySet[YearRecord], year: int
) -> tuple[list[InvestmentRow], InvestmentRow]:
    rows = []
    for row in (
        records.filter(year=year)
        .values("project__sector_id", "project__sector__name", "project__sector__order")
        .annotate(
            n=Count("id"),
            planned=Sum("planned_investment"),
            actual=Sum("actual_investment"),
        )
        .order_by("project__sector__order")
    ):
        key = row["project__sector_id"]
        rows.append(
            InvestmentRow(
                str(key),
                row["project__sector__name"],
                row["n"],
                row["planned"] or Decimal("0"),
                row["actual"] or Decimal("0"),
                record_list_url(year=year, project__sector__id__exact=key),
            )
        )
    total = InvestmentRow(
        "",
        gettext("合计"),
        sum(r.records for r in rows),
        sum((r.planned for r in rows), Decimal("0")),
        sum((r.actual for r in rows), Decimal("0")),
        record_list_url(year=year),
    )
    return rows, total


def _indicators(year: int, plan: Plan | None) -> tuple[list[IndicatorRow], bool]:
    """专栏7's targets (yearly, or an annual average growth); progress too where
    the indicators app judges it."""
    plan = plan or current_plan()
    if plan is None:
        return [], False
    prefetch = ["targets"]
    judged = indicator_progress is not None and hasattr(Indicator, "values")
    if judged:
        prefetch.append("values")
    rows = []
    progress_year = min(max(year, plan.start_year), plan.end_year)
    for indicator in (
        Indicator.objects.filter(plan=plan)
        .prefetch_related(*prefetch)
        .order_by("order", "pk")
    ):
        targets = list(indicator.targets.all())
        yearly = sorted(
            (t.year, t.value, t.text)
            for t in targets
            if t.kind == TargetKind.YEARLY and t.year
        )
        growth = next(
            (t.text for t in targets if t.kind == TargetKind.ANNUAL_AVERAGE_GROWTH), ""
        )
        if not yearly and not growth:
            continue  # an end-of-plan goal, not one of 专栏7's yearly targets
        extra: dict[str, Any] = {}
        if judged:
            try:
                progress = indicator_progress(
                    indicator,
                    progress_year,
                    values=indicator.values.all(),
                    targets=targets,
                )
            except ValueError:
                progress = None
            if progress is not None:
                extra = {
                    "progress_year": progress_year,
                    "status": str(progress.status),
                    "status_label": str(getattr(progress.status, "label", "")),
                    "expected": progress.expected,
                    "actual": progress.actual,
                }
        rows.append(
            IndicatorRow(
                indicator.code,
                indicator.name,
                indicator.unit,
                reverse("admin:indicators_indicator_change", args=[indicator.pk]),
                yearly,
                growth,
                year_texts=[
                    (y, next((t for ty, _, t in yearly if ty == y), "—"))
                    for y in range(plan.start_year, plan.end_year + 1)
                ],
                **extra,
            )
        )
    return rows, judged


def _lights(projects) -> list[StateCount]:
    """Projects by traffic light (红绿灯), red first; one query."""
    counts = {
        row["health__light"]: row["n"]
        for row in projects.values("health__light").annotate(n=Count("id"))
    }
    lights = [
        StateCount(
            str(light),
            str(light.label),
            Figure(counts.get(light.value, 0), project_list_url(light=light.value)),
        )
        for light in (HealthLight.RED, HealthLight.YELLOW, HealthLight.GREEN)
    ]
    lights.append(
        StateCount(
            "none",
            gettext("未计算"),
            Figure(counts.get(None, 0), project_list_url(light="none")),
        )
    )
    return lights


def dashboard_build(
    user,
    *,
    year: int | None = None,
    today: dt.date | None = None,
    scope: Scope | None = None,
    plan: Plan | None = None,
) -> Dashboard:
    """The dashboard of ``user`` (within their scope) for ``year`` (default: now).

    ``scope`` instead of the user's: an API client's (the API passes the scope
    of whoever calls, person or external system). ``plan``: the plan shown
    (default: the current one); its listed projects only.
    """
    current = current_plan()
    shown = plan.code if plan is not None and plan != current else None
    token = _shown_plan.set(shown)
    try:
        return _dashboard_build(user, year=year, today=today, scope=scope, plan=plan)
    finally:
        _shown_plan.reset(token)


def _dashboard_build(user, *, year, today, scope, plan) -> Dashboard:
    today = today or timezone.localdate()
    year = year or today.year
    scope = scope if scope is not None else user_scope(user)
    plan = plan or current_plan()
    projects = Project.objects.filter(scope.project_q())
    records = YearRecord.objects.filter(scope.project_q("project__"))
    if plan is not None:
        projects = projects & projects_of_plan(plan=plan)
        records = records.filter(project__in=projects_of_plan(plan=plan))

    states = {
        row["state"]: row["n"]
        for row in records.filter(year=year).values("state").annotate(n=Count("id"))
    }
    reports = [
        StateCount(
            str(state),
            str(state.label),
            Figure(
                states.get(state, 0), record_list_url(year=year, state__exact=state)
            ),
        )
        for state in ReviewState
    ]
    phase_by_sector = _matrix(projects, "sector", "name", "order", "sector__id__exact")
    overdue, overdue_counts = _overdue(projects, scope, today)
    investment, investment_total = _investment(records, year)
    indicators, judged = _indicators(year, plan)
    return Dashboard(
        lights=_lights(projects),
        year=year,
        today=today,
        everything=scope.everything,
        projects=Figure(phase_by_sector.total.value, project_list_url()),
        phase_by_sector=phase_by_sector,
        phase_by_district=_matrix(
            projects, "district", "name", "order", "district__id__exact"
        ),
        reports_by_state=reports,
        reports_total=Figure(sum(states.values()), record_list_url(year=year)),
        overdue=overdue,
        overdue_counts=overdue_counts,
        investment=investment,
        investment_total=investment_total,
        indicators=indicators,
        indicator_progress=judged,
        plan=plan,
    )


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def dashboard_summary(dashboard: Dashboard) -> dict[str, Any]:
    """The dashboard as plain JSON: what the API's /dashboard/ answers."""
    return {
        "plan": dashboard.plan.code if dashboard.plan else None,
        "year": dashboard.year,
        "today": dashboard.today.isoformat(),
        "scope": "all" if dashboard.everything else "departments",
        "projects": dashboard.projects.value,
        "phase_by_sector": _matrix_summary(dashboard.phase_by_sector),
        "phase_by_district": _matrix_summary(dashboard.phase_by_district),
        "reports_by_state": {
            item.state: item.figure.value for item in dashboard.reports_by_state
        },
        "reports_total": dashboard.reports_total.value,
        "lights": {item.state: item.figure.value for item in dashboard.lights},
        "overdue": _overdue_summary(dashboard),
        "investment_by_sector": [
            {
                "sector": row.label,
                "records": row.records,
                "planned": str(row.planned),
                "actual": str(row.actual),
            }
            for row in dashboard.investment
        ],
        "investment_total": {
            "planned": str(dashboard.investment_total.planned),
            "actual": str(dashboard.investment_total.actual),
        },
        "indicators": [_indicator_summary(row) for row in dashboard.indicators],
    }


def _matrix_summary(m: Matrix) -> dict[str, Any]:
    """A phase matrix as JSON: counts by phase code for each row, and totals."""
    return {
        "phases": [
            {"code": code or NOT_REPORTED_KEY, "label": str(label)}
            for code, label in m.columns
        ],
        "rows": [
            {
                "id": int(row.key),
                "name": row.label,
                "counts": {
                    code or NOT_REPORTED_KEY: cell.value
                    for (code, _), cell in zip(m.columns, row.cells, strict=True)
                },
                "total": row.total.value,
            }
            for row in m.rows
        ],
        "totals": {
            code or NOT_REPORTED_KEY: cell.value
            for (code, _), cell in zip(m.columns, m.column_totals, strict=True)
        },
        "total": m.total.value,
    }


def _overdue_summary(dashboard: Dashboard) -> dict[str, Any]:
    """The overdue counts by kind and the most urgent items, as JSON."""
    return {
        "counts": {k: f.value for k, f in dashboard.overdue_counts.items()},
        "total": dashboard.overdue_total,
        "most_urgent": [
            {
                "kind": item.kind,
                "subject": item.subject,
                "detail": item.detail,
                "since": item.since.isoformat(),
                "days": item.days,
            }
            for item in dashboard.overdue
        ],
    }


def _indicator_summary(row: IndicatorRow) -> dict[str, Any]:
    """One indicator's targets and (where judged) progress, as JSON."""
    return {
        "code": row.code,
        "name": row.name,
        "unit": row.unit,
        "targets": {str(y): str(v) for y, v, _ in row.targets},
        "annual_average_growth": row.growth_text or None,
        "progress": (
            {
                "year": row.progress_year,
                "status": row.status,
                "expected": _decimal(row.expected),
                "actual": _decimal(row.actual),
            }
            if row.status
            else None
        ),
    }
