"""Reads of the projects app: what a user may see, what is overdue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from portfolio.choices import UNSUBMITTED_STATES
from portfolio.models import Plan
from portfolio.selectors import Scope, user_scope
from projects.choices import FINISHED_PHASES, LISTED_STATUSES, Phase

from .models import Project, YearRecord

# The year-record list opens on the current reporting year; ``?year=all`` lists
# every year (the admin's filter, the dashboard's links).
ALL_YEARS = "all"


def reporting_year(today: dt.date | None = None) -> int:
    """The year whose reports are being filled in: the calendar year (a year's
    report is due within it, by default on 20 December)."""
    return (today or timezone.localdate()).year


def projects_for(user_or_scope) -> QuerySet[Project]:
    scope = (
        user_or_scope if isinstance(user_or_scope, Scope) else user_scope(user_or_scope)
    )
    return Project.objects.filter(scope.project_q())


def year_records_for(user_or_scope) -> QuerySet[YearRecord]:
    scope = (
        user_or_scope if isinstance(user_or_scope, Scope) else user_scope(user_or_scope)
    )
    return YearRecord.objects.filter(scope.project_q("project__"))


def due_date_for(plan: Plan, year: int) -> dt.date:
    """The report due date of ``year`` under ``plan`` (default 20 December)."""
    day = plan.report_due_day
    while True:
        try:
            return dt.date(year, plan.report_due_month, day)
        except ValueError:  # e.g. 31 in a 30-day month: the month's last day
            day -= 1


def tracked_year_bounds(project: Project) -> tuple[int, int]:
    """First tracked year and the last planned one (tracking goes on if unfinished)."""
    return max(project.start_year, project.plan.start_year), project.end_year


def is_tracked_year(project: Project, year: int) -> bool:
    first, last = tracked_year_bounds(project)
    if year < first:
        return False
    return year <= last or project.phase not in FINISHED_PHASES


def projects_to_open(plan: Plan, year: int) -> QuerySet[Project]:
    """Projects that need a record for ``year`` and have none: one query.

    Tracked from the later of the start year and the plan's first year, to the
    end year, and on past it for as long as the project is not finished.
    """
    if year < plan.start_year:
        return Project.objects.none()
    projects = (
        Project.objects.filter(
            plan=plan, start_year__lte=year, status__in=LISTED_STATUSES
        )
        .filter(Q(end_year__gte=year) | ~Q(phase__in=FINISHED_PHASES))
        .exclude(Exists(YearRecord.objects.filter(project=OuterRef("pk"), year=year)))
    )
    if year > plan.end_year:
        # Carried over (续建): the next plan's project reports from now on.
        projects = projects.filter(continued_by__isnull=True)
    return projects


def projects_of_plan(*, plan: Plan) -> QuerySet[Project]:
    """The projects on ``plan``'s list (in its tables; not removed, not reserve)."""
    return Project.objects.filter(plan=plan, status__in=LISTED_STATUSES)


def watched_projects_q() -> Q:
    """Projects the alert rules watch: on a plan's list (not removed, not in the
    reserve), and not carried on under another plan's code (the continuation is
    watched instead)."""
    return Q(status__in=LISTED_STATUSES, continued_by__isnull=True)


def watched_records_q() -> Q:
    """Year records the alert rules watch: of a project on a plan's list, for a
    year before its continuation's plan begins (from then on the continuation
    reports; the old project's earlier years are still owed)."""
    continued = Q(project__continued_by__isnull=False) & Q(
        year__gte=F("project__continued_by__plan__start_year")
    )
    return Q(project__status__in=LISTED_STATUSES) & ~continued


def overdue_year_records(today: dt.date) -> QuerySet[YearRecord]:
    """Reports owed and past their due date (draft, or returned and not resubmitted)."""
    return YearRecord.objects.filter(state__in=UNSUBMITTED_STATES, due_date__lt=today)


def overdue_projects_q(today: dt.date) -> Q:
    """Projects past their end year and not finished, or late to start."""
    past_end = Q(end_year__lt=today.year) & ~Q(phase__in=FINISHED_PHASES)
    late_start = Q(start_year__lte=today.year, phase=Phase.PREPARING)
    return past_end | late_start


def year_record_is_overdue(record: YearRecord, today: dt.date) -> bool:
    return record.state in UNSUBMITTED_STATES and record.due_date < today
