"""Generated reports on the loaded plan: phases, investment, submissions,
progress updates, problems and cluster memberships, from a seed."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from portfolio.choices import ProgressCadence, ReviewState
from portfolio.models import Cluster, Department, Plan
from projects.choices import Phase
from projects.dossier.choices import ProblemState
from projects.dossier.models import CoordinationProblem, ProgressUpdate
from projects.models import Project, YearRecord

PHASES = [p.value for p in Phase] + ["", ""]


def _moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def _records(rng: random.Random, plan: Plan) -> list[YearRecord]:
    records = list(YearRecord.objects.filter(project__plan=plan))
    for record in records:
        record.phase = rng.choice(PHASES)
        record.planned_investment = Decimal(rng.randint(0, 50000)) / 10
        record.actual_investment = (
            None if rng.random() < 0.3 else Decimal(rng.randint(0, 60000)) / 10
        )
        if rng.random() < 0.7:
            late = rng.randint(-30, 20)
            record.submitted_at = _moment(record.due_date + dt.timedelta(days=late))
            record.state = ReviewState.SUBMITTED
    YearRecord.objects.bulk_update(
        records,
        ["phase", "planned_investment", "actual_investment", "submitted_at", "state"],
    )
    return records


def _updates(rng: random.Random, records: list[YearRecord], year: int) -> None:
    updates = []
    for record in records:
        if record.year != year:
            continue
        total = Decimal(0)
        for month in range(1, 12):
            if rng.random() < 0.35:
                continue
            end = _month_end(year, month)
            due = dt.date(year, month + 1, 5)
            total += Decimal(rng.randint(0, 4000)) / 10
            updates.append(
                ProgressUpdate(
                    year_record=record,
                    period=f"{year}-{month:02d}",
                    cadence=ProgressCadence.MONTHLY,
                    period_start=dt.date(year, month, 1),
                    period_end=end,
                    due_date=due,
                    cumulative_investment=total,
                    physical_progress="测试进度",
                    percent_complete=Decimal(min(100, month * 8)),
                    submitted_at=_moment(due + dt.timedelta(days=rng.randint(-4, 3))),
                )
            )
    ProgressUpdate.objects.bulk_create(updates)


def _problems(rng: random.Random, projects: list[Project], year: int) -> None:
    owners = list(Department.objects.all())
    problems = []
    for n in range(120):
        raised = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 340))
        handling = solved = None
        state = ProblemState.OPEN
        if rng.random() < 0.7:
            handling = _moment(raised + dt.timedelta(days=rng.randint(0, 20)))
            state = ProblemState.HANDLING
            if rng.random() < 0.6:
                solved = _moment(raised + dt.timedelta(days=rng.randint(1, 60)))
                state = ProblemState.SOLVED
        problems.append(
            CoordinationProblem(
                project=rng.choice(projects),
                description=f"测试问题{n}",
                owner_department=rng.choice(owners),
                due_date=raised + dt.timedelta(days=30),
                state=state,
                raised_on=raised,
                handling_since=handling,
                solved_at=solved,
            )
        )
    CoordinationProblem.objects.bulk_create(problems)


def generate_reports(plan: Plan, *, seed: int = 17, year: int = 2026) -> None:
    """Fill the plan's year records and dossiers with reproducible reports."""
    rng = random.Random(seed)
    projects = list(Project.objects.filter(plan=plan).order_by("pk"))
    clusters = list(Cluster.objects.filter(plan=plan))
    for project in projects:
        if rng.random() < 0.6:
            project.clusters.add(*rng.sample(clusters, rng.randint(1, 2)))
    records = _records(rng, plan)
    _updates(rng, records, year)
    _problems(rng, projects, year)
