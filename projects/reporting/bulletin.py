"""What the monthly bulletin (调度通报) lists besides the statistics: projects
with red lights, problems awaiting coordination, reports not submitted.

Selectors over the same scope as the statistics (``scope.active_q``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from portfolio.models import Plan
from projects.choices import HealthLight
from projects.dossier.choices import PROGRESS_EXEMPT_PHASES, UNSOLVED_PROBLEM_STATES
from projects.dossier.models import CoordinationProblem, ProgressUpdate, ProjectHealth
from projects.models import YearRecord

from . import scope
from .periods import StatPeriod
from .statistics import owed_periods


@dataclass(frozen=True)
class LateItem:
    reference: str
    name: str
    department: str
    item: str
    due_date: dt.date
    status: str


def red_projects(plan: Plan) -> list[dict]:
    """Projects on a red light, with the reasons."""
    rows = (
        ProjectHealth.objects.filter(
            scope.active_q(plan, "project__"), light=HealthLight.RED
        )
        .select_related("project__district")
        .order_by("project__table", "project__number")
    )
    return [
        {
            "reference": h.project.reference,
            "name": h.project.name,
            "district": h.project.district.name,
            "reasons": _("；").join(h.reasons),
        }
        for h in rows
    ]


def problems_awaiting(plan: Plan, today: dt.date) -> list[dict]:
    """Problems not yet solved, oldest first, with their owners."""
    rows = (
        CoordinationProblem.objects.filter(
            scope.active_q(plan, "project__"), state__in=UNSOLVED_PROBLEM_STATES
        )
        .select_related("project", "owner_department")
        .order_by("raised_on", "id")
    )
    return [
        {
            "reference": p.project.reference,
            "project": p.project.name,
            "description": p.description,
            "owner": p.owner_department.name,
            "raised_on": p.raised_on.isoformat(),
            "state": str(p.get_state_display()),
            "days": (today - p.raised_on).days,
        }
        for p in rows
    ]


def _on_time(moment, due: dt.date) -> str | None:
    """None when on time; otherwise the status."""
    if moment is None:
        return _("未报送")
    if timezone.localtime(moment).date() > due:
        return _("逾期报送")
    return None


def late_items(plan: Plan, period: StatPeriod, today: dt.date) -> list[LateItem]:
    """Reports and updates due in the period and not submitted by their date:
    what 按时报送率 counts as missing."""
    last = min(period.end, today - dt.timedelta(days=1))
    items = []
    for record in (
        YearRecord.objects.filter(
            scope.active_q(plan, "project__"),
            due_date__gte=period.start,
            due_date__lte=last,
        )
        .select_related("project__department")
        .order_by("project__table", "project__number")
    ):
        status = _on_time(record.submitted_at, record.due_date)
        if status:
            items.append(
                _late(
                    record,
                    _("%(y)s年度报告") % {"y": record.year},
                    record.due_date,
                    status,
                )
            )
    owed = owed_periods(plan, period.year, period.start, last)
    if owed:
        records = (
            YearRecord.objects.filter(
                scope.active_q(plan, "project__"), year=period.year
            )
            .exclude(phase__in=PROGRESS_EXEMPT_PHASES)
            .select_related("project__department")
            .order_by("project__table", "project__number")
        )
        filed = {
            (u.year_record_id, u.period): u.submitted_at
            for u in ProgressUpdate.objects.filter(
                year_record__in=records, period__in=[p.key for p in owed]
            ).only("year_record_id", "period", "submitted_at")
        }
        for record in records:
            for p in owed:
                status = _on_time(filed.get((record.pk, p.key)), p.due_date)
                if status:
                    label = _("%(p)s进度更新") % {"p": p.key}
                    items.append(_late(record, label, p.due_date, status))
    return items


def _late(record: YearRecord, item: str, due: dt.date, status: str) -> LateItem:
    project = record.project
    return LateItem(
        reference=project.reference,
        name=project.name,
        department=project.department.name,
        item=item,
        due_date=due,
        status=status,
    )
