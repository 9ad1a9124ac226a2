"""What a notice says, in the words of the plan's offices: its deadline and its
line in a digest (e-mail or robot message)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from projects.alerts.choices import INDICATOR_KINDS, NoticeKind
from projects.alerts.indicator_rules import indicator_deadline, indicator_text
from projects.alerts.models import Notice
from projects.choices import phase_label


def local_day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value else None


def source_kind(notice: Notice) -> NoticeKind:
    if notice.kind == NoticeKind.ESCALATION:
        return NoticeKind(notice.period.split("/", 1)[0])
    return NoticeKind(notice.kind)


def notice_deadline(notice: Notice) -> dt.date:
    """The day the item fell (or falls) due: the digest sorts on it."""
    if notice.kind in INDICATOR_KINDS:
        return indicator_deadline(notice)
    kind = source_kind(notice)
    record, project = notice.year_record, notice.project
    if kind == NoticeKind.RETURNED_OVERDUE and record.returned_at:
        grace = dt.timedelta(days=settings.PORTFOLIO_RETURNED_GRACE_DAYS)
        return max(record.due_date, local_day(record.returned_at) + grace)
    if kind == NoticeKind.REVIEW_OVERDUE and record.submitted_at:
        return local_day(record.submitted_at) + dt.timedelta(
            days=settings.PORTFOLIO_REVIEW_DAYS
        )
    if kind == NoticeKind.SCHEDULE_OVERDUE:
        return dt.date(project.end_year, 12, 31)
    if kind == NoticeKind.LATE_START:
        return dt.date(project.start_year, 1, 1)
    if kind == NoticeKind.PROGRESS_OVERDUE:
        return progress_period(notice).due_date
    if kind == NoticeKind.HEALTH_RED:
        return dt.date.fromisoformat(notice.period.rsplit("/", 1)[-1])
    return record.due_date


def progress_period(notice: Notice):
    from projects.dossier.selectors import period_parse

    key = notice.period.rsplit("/", 1)[-1]
    return period_parse(notice.project.plan.progress_cadence, key)


def notice_text(notice: Notice, today: dt.date) -> str:
    """One line, in the words of the plan's offices."""
    if notice.kind in INDICATOR_KINDS:
        return indicator_text(notice, today)
    kind = source_kind(notice)
    record, project = notice.year_record, notice.project
    values = {"late": (today - notice_deadline(notice)).days, "kind": kind.label}
    if record is not None:
        values.update(year=record.year, due=f"{record.due_date:%Y-%m-%d}")
    if kind == NoticeKind.REMINDER:
        left = (record.due_date - today).days
        when = gettext("今天截止") if left <= 0 else gettext("还剩 %(left)s 天")
        values["when"] = when % {"left": left}
        message = gettext("%(year)s年度报告 %(due)s 截止，%(when)s")
    elif kind == NoticeKind.REPORT_OVERDUE:
        message = gettext("%(year)s年度报告 %(due)s 截止，未提交，已逾期 %(late)s 天")
        if "/" in notice.period.removeprefix(f"{NoticeKind.REPORT_OVERDUE}/"):
            message += gettext("（审核通过后被重新打开，尚未重新提交）")
    elif kind == NoticeKind.RETURNED_OVERDUE:
        reason = (record.return_reason or "").strip().replace("\n", " ")
        reason = reason[:40] + ("…" if len(reason) > 40 else "") or gettext("未填写")
        values.update(
            reason=reason, returned=f"{local_day(record.returned_at):%Y-%m-%d}"
        )
        message = gettext(
            "%(year)s年度报告 %(returned)s 被退回，"
            "至今未重新提交，已逾期 %(late)s 天（退回原因：%(reason)s）"
        )
    elif kind == NoticeKind.REVIEW_OVERDUE:
        values["waited"] = (today - local_day(record.submitted_at)).days
        values["submitted"] = f"{local_day(record.submitted_at):%Y-%m-%d}"
        message = gettext("%(year)s年度报告 %(submitted)s 提交，已 %(waited)s 天未审核")
    elif kind == NoticeKind.SCHEDULE_OVERDUE:
        phase = phase_label(
            project.phase, year=today.year, start_year=project.start_year
        )
        values.update(period=project.period, end=project.end_year, phase=phase)
        message = gettext(
            "建设年限 %(period)s，已过完工年（%(end)s年）仍未竣工，当前阶段：%(phase)s"
        )
    elif kind == NoticeKind.PROGRESS_OVERDUE:
        period = progress_period(notice)
        values.update(period=period.key, due=f"{period.due_date:%Y-%m-%d}")
        message = gettext(
            "%(period)s 进度更新应于 %(due)s 前报送，至今未报，已逾期 %(late)s 天"
        )
    elif kind == NoticeKind.HEALTH_RED:
        reasons = getattr(getattr(project, "health", None), "reasons", None)
        values["reasons"] = gettext("；").join(reasons or [])
        values["day"] = f"{notice_deadline(notice):%Y-%m-%d}"
        message = gettext("%(day)s 起亮红灯")
        if values["reasons"]:
            message += gettext("：%(reasons)s")
    else:  # late start
        values["start"] = project.start_year
        message = gettext("计划 %(start)s 年开工，至今仍处于前期")
    if notice.kind != NoticeKind.ESCALATION:
        return message % values
    values.update(days=settings.PORTFOLIO_ESCALATION_DAYS, text=message % values)
    return gettext("［%(kind)s，%(days)s天以上未解决］%(text)s") % values
