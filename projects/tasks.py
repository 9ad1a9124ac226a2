"""Celery tasks of projects: opening a new year's records.

Idempotent (a second run finds nothing to do) and acknowledged late. Scheduled in
the database by ``python manage.py setup_schedules`` (django-celery-beat); the
task keeps its historical name, which the stored schedules use.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.models import Plan
from projects.services import year_open

YEAR_OPEN_ACTOR = _("定时任务 year_open")


@shared_task(name="projects.tasks.year_open", acks_late=True)
def year_open_task(year: int | None = None) -> int:
    """1 January: open the new year's records (idempotent; the daily scan too).

    For every plan begun by then: the current one, the next one loaded beside it,
    and an ended one whose unfinished projects are not carried over yet.
    """
    year = year or timezone.localdate().year
    return sum(
        len(year_open(plan=plan, year=year, actor=str(YEAR_OPEN_ACTOR)))
        for plan in Plan.objects.filter(start_year__lte=year).order_by("start_year")
    )
