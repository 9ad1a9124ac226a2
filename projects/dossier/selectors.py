"""The dossier's reads: reporting periods and the progress updates owed by them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portfolio.choices import (
    EDITABLE_STATES,
    ProgressCadence,
)
from projects.models import YearRecord

from .choices import (
    PROGRESS_EXEMPT_PHASES,
)
from .models import ProgressUpdate


@dataclass(frozen=True)
class Period:
    """A reporting period: a month ("2026-03") or a quarter ("2026-Q1")."""

    key: str
    start: dt.date
    end: dt.date
    cadence: ProgressCadence

    @property
    def due_date(self) -> dt.date:
        """Default: the 5th of the month after the period's last month."""
        year, month = (
            (self.end.year + 1, 1)
            if self.end.month == 12
            else (self.end.year, self.end.month + 1)
        )
        return dt.date(year, month, settings.PROJECTS_PROGRESS_DUE_DAY)


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def periods_of_year(cadence: str, year: int) -> list[Period]:
    """The reporting periods of ``year`` under ``cadence``, in order."""
    if cadence == ProgressCadence.QUARTERLY:
        return [
            Period(
                f"{year}-Q{q}",
                dt.date(year, 3 * q - 2, 1),
                _month_end(year, 3 * q),
                ProgressCadence.QUARTERLY,
            )
            for q in range(1, 5)
        ]
    return [
        Period(
            f"{year}-{m:02d}",
            dt.date(year, m, 1),
            _month_end(year, m),
            ProgressCadence.MONTHLY,
        )
        for m in range(1, 13)
    ]


def period_parse(cadence: str, key: str) -> Period:
    """The period named ``key`` ("2026-03", "2026-Q1") under ``cadence``."""
    key = (key or "").strip().upper()
    year = key[:4]
    if year.isdigit():
        for period in periods_of_year(cadence, int(year)):
            if period.key.upper() == key:
                return period
    example = "2026-Q1" if cadence == ProgressCadence.QUARTERLY else "2026-03"
    raise ValidationError(
        {
            "period": _(
                "报告期“%(key)s”无效：本规划按%(cadence)s调度，格式如“%(ex)s”。"
            )
            % {
                "key": key,
                "cadence": ProgressCadence(cadence).label,
                "ex": example,
            }
        }
    )


# --- In-year progress -----------------------------------------------------------


@dataclass(frozen=True)
class OverdueProgress:
    """A progress update owed and past its due date: one overdue item.

    ``key`` is stable across runs, so whoever sends notices can send one per item.
    """

    year_record_id: int
    project_id: int
    period: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date

    @property
    def key(self) -> str:
        return f"progress-update:{self.year_record_id}:{self.period}"

    def days_overdue(self, today: dt.date) -> int:
        return (today - self.due_date).days


def progress_updates_owed(
    today: dt.date, *, project_ids=None
) -> tuple[list[dict], set[tuple[int, str]]]:
    """The year records that owe updates and the periods already filed: 2 queries."""
    records = YearRecord.objects.filter(
        year__gte=today.year - 1,
        year__lte=today.year,
        state__in=EDITABLE_STATES,
    ).exclude(phase__in=PROGRESS_EXEMPT_PHASES)
    if project_ids is not None:
        records = records.filter(project_id__in=project_ids)
    rows = list(
        records.values("id", "project_id", "year", "project__plan__progress_cadence")
    )
    filed = set(
        ProgressUpdate.objects.filter(year_record__in=records).values_list(
            "year_record_id", "period"
        )
    )
    return rows, filed


def progress_updates_overdue(
    today: dt.date, *, project_ids=None
) -> list[OverdueProgress]:
    """Every progress update owed and missing after its due date, as of ``today``.

    Set-based: two queries whatever the number of projects. Owed by the year
    records of this year and last year that are still open (draft or returned:
    once the yearly report is submitted it speaks for the year), whose phase
    still builds something (not finished, cancelled or suspended), for each
    period of the plan's cadence that ends on or after
    ``settings.PROJECTS_PROGRESS_SINCE`` and whose due date (default the 5th of
    the next month) has passed. A March update missing on 6 April is one item.
    """
    since = settings.PROJECTS_PROGRESS_SINCE
    if since is None:
        # In-year dispatch has not started (no start date set): nothing is owed,
        # rather than every month since 2021 on a fresh install.
        return []
    rows, filed = progress_updates_owed(today, project_ids=project_ids)
    items: list[OverdueProgress] = []
    for row in rows:
        cadence = row["project__plan__progress_cadence"]
        for period in periods_of_year(cadence, row["year"]):
            if period.due_date >= today:
                break
            if period.end < since:
                continue
            if (row["id"], period.key) in filed:
                continue
            items.append(
                OverdueProgress(
                    year_record_id=row["id"],
                    project_id=row["project_id"],
                    period=period.key,
                    period_start=period.start,
                    period_end=period.end,
                    due_date=period.due_date,
                )
            )
    items.sort(key=lambda item: (item.due_date, item.project_id, item.period))
    return items


def progress_periods_elapsed(cadence: str, year: int, today: dt.date) -> int:
    """How many months of ``year`` are covered by periods already due by ``today``."""
    months = 0
    for period in periods_of_year(cadence, year):
        if period.due_date < today:
            months = period.end.month
    return months


# --- Coordination problems (问题清单) ------------------------------------------
