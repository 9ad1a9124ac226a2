"""The indicator rules (考核指标): a figure not reported, a figure behind.

- ``indicator_unreported``: a plan year's value not submitted by its due date
  (``INDICATOR_REPORT_DUE``, 31 March of the next year): the department's clerks,
  from the day after the due date;
- ``indicator_unreported_late``: the same, still missing after
  ``INDICATOR_NOTICE_GRACE_DAYS``: the supervisors;
- ``indicator_behind``: the latest reported year graded 滞后: the supervisors.

Silent until ``INDICATOR_NOTICES_SINCE`` is set; then figures due from that day
on are told. The item is the indicator, the period the year (the earliest one
missing, so a backlog is told one year at a time). Judged by
``indicators.selectors``, in the indicator's own direction and tolerance.
Also the words of these notices and their line in a digest: they are grouped
apart from the projects' items.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils.translation import gettext

from indicators.choices import ProgressStatus
from indicators.models import Indicator
from indicators.progress import indicator_progress
from indicators.selectors import indicators_behind_or_unreported, value_due_date
from projects.alerts.choices import NoticeKind


def _grace() -> dt.timedelta:
    return dt.timedelta(days=settings.INDICATOR_NOTICE_GRACE_DAYS)


def _items(years: dict[int, int]) -> QuerySet[Indicator]:
    """Indicators annotated as notice items, the period being the year."""
    ct = ContentType.objects.get_for_model(Indicator).pk
    period = (
        Case(
            *(When(pk=pk, then=Value(str(year))) for pk, year in years.items()),
            output_field=CharField(),
        )
        if years
        else Value("", output_field=CharField())
    )
    return Indicator.objects.filter(pk__in=list(years)).annotate(
        n_item=F("pk"), n_ct=Value(ct, IntegerField()), n_period=period
    )


def _alerts(today: dt.date, status: ProgressStatus) -> list:
    """The indicators' alerts of ``status`` due on or after
    ``INDICATOR_NOTICES_SINCE`` (none while it is unset)."""
    since = settings.INDICATOR_NOTICES_SINCE
    if since is None:
        return []
    return [
        alert
        for alert in indicators_behind_or_unreported(today)
        if alert.status == status and alert.due_date >= since
    ]


def _earliest_unreported(today: dt.date, *, after: dt.timedelta) -> dict[int, int]:
    years: dict[int, int] = {}
    for alert in _alerts(today, ProgressStatus.NOT_REPORTED):
        if alert.due_date + after < today:
            years.setdefault(alert.indicator.pk, alert.year)
    return years


def indicator_unreported_items(today: dt.date) -> QuerySet[Indicator]:
    return _items(_earliest_unreported(today, after=dt.timedelta(0)))


def indicator_unreported_late_items(today: dt.date) -> QuerySet[Indicator]:
    return _items(_earliest_unreported(today, after=_grace()))


def indicator_behind_items(today: dt.date) -> QuerySet[Indicator]:
    return _items(
        {
            alert.indicator.pk: alert.year
            for alert in _alerts(today, ProgressStatus.BEHIND)
        }
    )


def indicator_notices_q(department) -> Q:
    """Notices about the indicators of ``department`` (for its robot)."""
    ct = ContentType.objects.get_for_model(Indicator)
    ids = Indicator.objects.filter(department=department).values("pk")
    return Q(content_type=ct, object_id__in=ids)


# --- Words and digest lines ---------------------------------------------------


def _indicator(notice) -> Indicator:
    return notice.item


def indicator_deadline(notice) -> dt.date:
    indicator = _indicator(notice)
    due = value_due_date(indicator.plan, int(notice.period))
    if notice.kind == NoticeKind.INDICATOR_UNREPORTED_LATE:
        return due + _grace()
    return due


def indicator_text(notice, today: dt.date) -> str:
    indicator = _indicator(notice)
    year = int(notice.period)
    due = value_due_date(indicator.plan, year)
    values = {
        "year": year,
        "due": f"{due:%Y-%m-%d}",
        "late": (today - due).days,
        "unit": indicator.unit,
    }
    if notice.kind == NoticeKind.INDICATOR_BEHIND:
        progress = indicator_progress(indicator, year)
        values.update(
            expected=_number(progress.expected), actual=_number(progress.actual)
        )
        return (
            gettext(
                "%(year)s年进度滞后：应达 %(expected)s，实际 %(actual)s（%(unit)s）"
            )
            % values
        )
    return (
        gettext("%(year)s年数值应于 %(due)s 前报送，至今未报，已逾期 %(late)s 天")
        % values
    )


def _number(value) -> str:
    return "—" if value is None else format(value.normalize(), "f")


def indicator_line(notice) -> dict:
    """What a digest shows of an indicator notice besides its text."""
    indicator = _indicator(notice)
    return {
        "project": gettext("【指标】%(name)s") % {"name": indicator.name},
        "url": settings.SITE_URL.rstrip("/")
        + reverse("admin:indicators_indicator_change", args=[indicator.pk]),
        "order": (indicator_deadline(notice), 0, indicator.order),
        "bucket": gettext("%(year)s年") % {"year": notice.period},
    }
