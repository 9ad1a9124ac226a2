"""Reads of the indicators app: progress per indicator and year, due dates, alerts.

For the API and the alerts mechanism (both built elsewhere), everything here takes
plain arguments and returns plain objects:

- ``indicators_queryset()``: indicators with what progress needs, prefetched;
- ``progress_by_indicator(indicators)``: ``{code: [Progress for 2021..2025]}``;
- ``indicator_progress_rows(indicator)``: one indicator's progress as plain dicts;
- ``indicators_behind_or_unreported(today)``: what the alerts should report, the
  entry point for indicator alerts (docs/indicators.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext

from portfolio.models import Department, Plan
from portfolio.selectors import Scope, user_scope

from .choices import ProgressStatus
from .models import Indicator, IndicatorTarget, IndicatorValue
from .progress import (
    Progress,
    indicator_progress,
    indicator_progress_by_year,
    plan_years,
)


def indicators_queryset() -> QuerySet[Indicator]:
    """Indicators with their plan, department, targets and values prefetched."""
    return Indicator.objects.select_related(
        "plan", "sector", "department", "district"
    ).prefetch_related(
        Prefetch("targets", queryset=IndicatorTarget.objects.order_by("year", "id")),
        Prefetch(
            "values",
            queryset=IndicatorValue.objects.select_related("department").order_by(
                "year"
            ),
        ),
    )


def indicator_values_for(user_or_scope) -> QuerySet[IndicatorValue]:
    """The values a person may see and act on: their departments' indicators.

    The one rule for the admin and the API (``values_visible``): a department
    sees its own indicators' values, drafts included; supervisors see those of
    the departments they oversee (all-city supervisors and administrators, and
    tokens without departments, all of them). A figure reported by another
    department reaches others only through the progress it feeds, once submitted.
    """
    scope = (
        user_or_scope if isinstance(user_or_scope, Scope) else user_scope(user_or_scope)
    )
    values = IndicatorValue.objects.all()
    if scope.everything:
        return values
    return values.filter(indicator__department_id__in=scope.department_ids)


def values_visible(indicator: Indicator, scope: Scope) -> list[IndicatorValue]:
    """``indicator``'s values that ``scope`` sees, from the prefetched ``values``:
    the same rule as ``indicator_values_for``, without a query per indicator."""
    if not scope.covers_department(indicator.department_id):
        return []
    return list(indicator.values.all())


def value_due_date(plan: Plan, year: int) -> dt.date:
    """When the value of ``year`` is due: by default 31 March of the next year.

    The day is ``settings.INDICATOR_REPORT_DUE`` (month, day) of ``year + 1``:
    statistics are published the following spring.
    """
    month, day = settings.INDICATOR_REPORT_DUE
    while True:
        try:
            return dt.date(year + 1, month, day)
        except ValueError:  # 29 February in a common year, 31 in a short month
            day -= 1


def default_progress_year(plan: Plan, today: dt.date) -> int:
    """The latest plan year whose values are due by ``today`` (else the first)."""
    years = range(plan.start_year, plan.end_year + 1)
    past = [y for y in years if value_due_date(plan, y) <= today]
    return past[-1] if past else plan.start_year


def progress_by_indicator(
    indicators: Iterable[Indicator] | None = None,
) -> dict[str, list[Progress]]:
    """``{code: [progress in each plan year]}``; pass a prefetched queryset."""
    indicators = indicators_queryset() if indicators is None else indicators
    return {i.code: indicator_progress_by_year(i) for i in indicators}


def _number(value) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def progress_row(progress: Progress) -> dict:
    """A year's progress as plain data (for the API, exports and notices)."""
    return {
        "year": progress.year,
        "status": str(progress.status),
        "status_display": str(ProgressStatus(progress.status).label),
        "expected": _number(progress.expected),
        "actual": _number(progress.actual),
        "note": progress.note,
        "targets": [
            {
                "year": item.target.year,
                "kind": item.target.kind,
                "text": item.target.text,
                "status": str(item.status),
                "expected": _number(item.expected),
                "actual": _number(item.actual),
                "note": item.note,
            }
            for item in progress.targets
        ],
    }


def indicator_progress_rows(indicator: Indicator) -> list[dict]:
    """One indicator's progress in every plan year, as plain data."""
    return [progress_row(p) for p in indicator_progress_by_year(indicator)]


def indicators_by_status(
    indicators: Iterable[Indicator], year: int, status: ProgressStatus
) -> list[int]:
    """Primary keys of the indicators whose progress in ``year`` is ``status``."""
    return [
        i.pk
        for i in indicators
        if year in plan_years(i) and indicator_progress(i, year).status == status
    ]


@dataclass(frozen=True)
class IndicatorAlert:
    """Something the alerts should tell the indicator's department and supervisors.

    ``key`` is stable across runs (indicator, year, status): a notice already sent
    for the same key must not be sent again.
    """

    indicator: Indicator
    year: int
    status: ProgressStatus
    due_date: dt.date
    progress: Progress

    @property
    def department(self) -> Department | None:
        return self.indicator.department

    @property
    def key(self) -> str:
        return f"indicator:{self.indicator.code}:{self.year}:{self.status}"

    @property
    def message(self) -> str:
        name, year = self.indicator.name, self.year
        if self.status == ProgressStatus.NOT_REPORTED:
            return gettext("%(name)s %(year)s年数值逾期未报送（截止 %(due)s）。") % {
                "name": name,
                "year": year,
                "due": f"{self.due_date:%Y-%m-%d}",
            }
        expected = _number(self.progress.expected)
        actual = _number(self.progress.actual)
        return gettext(
            "%(name)s %(year)s年进度滞后：应达 %(expected)s，实际 %(actual)s"
            "（%(unit)s）。"
        ) % {
            "name": name,
            "year": year,
            "expected": expected,
            "actual": actual,
            "unit": self.indicator.unit,
        }


def indicators_behind_or_unreported(
    today: dt.date, indicators: Iterable[Indicator] | None = None
) -> list[IndicatorAlert]:
    """What the alerts mechanism should report about indicators as of ``today``.

    - ``not_reported``: every plan year whose value is due before ``today`` and
      has none submitted (a draft or a returned value does not count);
    - ``behind``: an indicator whose latest reported year is behind its target
      (earlier years are history: a later report supersedes them).

    Indicators of current plans only; ordered by indicator, then year.
    """
    if indicators is None:
        indicators = indicators_queryset().filter(plan__is_current=True)
    alerts: list[IndicatorAlert] = []
    for indicator in indicators:
        plan = indicator.plan
        progress = indicator_progress_by_year(indicator)
        latest = None
        for item in progress:
            due = value_due_date(plan, item.year)
            if item.value is None:
                if due < today:
                    alerts.append(
                        IndicatorAlert(
                            indicator, item.year, ProgressStatus.NOT_REPORTED, due, item
                        )
                    )
            else:
                latest = item
        if latest is not None and latest.status == ProgressStatus.BEHIND:
            alerts.append(
                IndicatorAlert(
                    indicator,
                    latest.year,
                    ProgressStatus.BEHIND,
                    value_due_date(plan, latest.year),
                    latest,
                )
            )
    alerts.sort(key=lambda a: (a.indicator.plan_id, a.indicator.order, a.year))
    return alerts
