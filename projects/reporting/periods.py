"""Statistic periods: a month (2026-11), a quarter (2026-Q4) or a year (2026)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MONTH, QUARTER, YEAR = "month", "quarter", "year"
KINDS = (MONTH, QUARTER, YEAR)
QUARTER_NAMES = {1: _("一"), 2: _("二"), 3: _("三"), 4: _("四")}
_PATTERN = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|[Qq]([1-4])))?$")


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class StatPeriod:
    """A period of the dispatch statistics, from its first to its last day."""

    kind: str
    year: int
    number: int  # the month (1–12), the quarter (1–4), or 0 for a year

    @property
    def key(self) -> str:
        if self.kind == MONTH:
            return f"{self.year}-{self.number:02d}"
        if self.kind == QUARTER:
            return f"{self.year}-Q{self.number}"
        return str(self.year)

    @property
    def first_month(self) -> int:
        return {MONTH: self.number, QUARTER: 3 * self.number - 2}.get(self.kind, 1)

    @property
    def last_month(self) -> int:
        return {MONTH: self.number, QUARTER: 3 * self.number}.get(self.kind, 12)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        return _month_end(self.year, self.last_month)

    @property
    def schedule(self) -> int:
        """序时进度 at the period's end, in months of twelve."""
        return self.last_month

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return gettext("%(y)s年%(m)s月") % {"y": self.year, "m": self.number}
        if self.kind == QUARTER:
            return gettext("%(y)s年第%(q)s季度") % {
                "y": self.year,
                "q": QUARTER_NAMES[self.number],
            }
        return gettext("%(y)s年") % {"y": self.year}

    def previous(self) -> StatPeriod:
        """The period of the same kind just before this one."""
        if self.kind == MONTH:
            if self.number == 1:
                return StatPeriod(MONTH, self.year - 1, 12)
            return StatPeriod(MONTH, self.year, self.number - 1)
        if self.kind == QUARTER:
            if self.number == 1:
                return StatPeriod(QUARTER, self.year - 1, 4)
            return StatPeriod(QUARTER, self.year, self.number - 1)
        return StatPeriod(YEAR, self.year - 1, 0)


def period_parse(key: str | None, *, today: dt.date | None = None) -> StatPeriod:
    """``2026-11``, ``2026-Q4`` or ``2026``; without one, the last full month."""
    if not key:
        today = today or dt.date.today()
        last = today.replace(day=1) - dt.timedelta(days=1)
        return StatPeriod(MONTH, last.year, last.month)
    found = _PATTERN.match(key.strip())
    if found:
        year = int(found.group(1))
        if 2000 <= year <= 2100:
            if found.group(2):
                month = int(found.group(2))
                if 1 <= month <= 12:
                    return StatPeriod(MONTH, year, month)
            elif found.group(3):
                return StatPeriod(QUARTER, year, int(found.group(3)))
            else:
                return StatPeriod(YEAR, year, 0)
    raise ValidationError(
        gettext(
            "统计期“%(key)s”无效：格式如 2026-11（月）、2026-Q4（季）或 2026（年）。"
        )
        % {"key": key}
    )
