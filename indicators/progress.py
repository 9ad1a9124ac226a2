"""Progress of an indicator in a year: what was expected, what was reported, a status.

One function, ``indicator_progress``, judges every kind of target the plan uses, the
right way round:

- ``yearly`` (专栏7): the year's figure against the year's target — met or behind.
- ``annual_average_growth`` (“年均增长8%以上/左右”): the average growth from the
  plan's first year to this year (geometric mean of the yearly rates; the rates
  come from the department's reported rate, or from the totals of consecutive
  years) against the rate. It is an average over the plan, never split into yearly
  figures: before the plan's last year it is on track or behind, in the last year
  met or behind.
- ``at_least`` (“以上”“达到”“不低于”; “超过”“突破” exclude the figure itself),
  ``at_most`` (“以内”“以下”, lower is better), ``range`` (“2至3家”) and
  ``approximate`` (“5%左右”, within the target's tolerance): a level for the end of
  the plan. Met as soon as the year's value satisfies it; otherwise on track when
  the value is at least as good as the straight line from the baseline (the plan's
  2020 figure, or zero for counts made since the plan began) to the target, and
  behind when it is not, when the plan's last year has come, or when there is no
  baseline to draw the line from.

A target below the baseline (higher is better) or above it (lower is better) is
already reached at the start: the line is flat at the target. A “左右” target
accepts the tolerance on the unfavourable side and anything on the favourable side.
Only submitted or approved values count (``REPORTED_STATES``); a year without one
is ``not_reported``. An indicator's status in a year is the worst of its targets'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from .choices import (
    REPORTED_STATES,
    STATUS_SEVERITY,
    Direction,
    Measure,
    ProgressStatus,
    TargetKind,
)
from .models import Indicator, IndicatorTarget, IndicatorValue

RATE_PLACES = Decimal("0.01")
LEVEL_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)

HIGHER, LOWER, BAND = "higher", "lower", "band"


@dataclass(frozen=True)
class TargetProgress:
    """The judgement of one target in one year."""

    target: IndicatorTarget
    status: ProgressStatus
    expected: Decimal | None
    actual: Decimal | None
    note: str = ""


@dataclass(frozen=True)
class Progress:
    """An indicator in a year: its status and the target that decided it."""

    indicator: Indicator
    year: int
    status: ProgressStatus
    expected: Decimal | None
    actual: Decimal | None
    targets: tuple[TargetProgress, ...]
    value: IndicatorValue | None

    @property
    def deciding(self) -> TargetProgress | None:
        for item in self.targets:
            if item.status == self.status:
                return item
        return None

    @property
    def note(self) -> str:
        deciding = self.deciding
        return deciding.note if deciding else ""


class Series:
    """An indicator's reported figures, read as levels and as yearly growth rates."""

    def __init__(self, indicator: Indicator, values: Iterable[IndicatorValue]):
        self.indicator = indicator
        self.plan = indicator.plan
        self.values = {
            v.year: v for v in values if v.state in REPORTED_STATES and v.year
        }
        years = [self.plan.start_year - 1, *self.values]
        if indicator.baseline_year:
            years.append(indicator.baseline_year)
        self.first_year = min(years)

    def reported(self, year: int) -> IndicatorValue | None:
        return self.values.get(year)

    def level(self, year: int) -> Decimal | None:
        """The level (or total) at the end of ``year``, if it can be known."""
        if year < self.first_year:
            return None
        reported = self.values.get(year)
        if reported is not None and reported.value is not None:
            return reported.value
        indicator = self.indicator
        if indicator.baseline_year == year and indicator.baseline_value is not None:
            return indicator.baseline_value
        if indicator.measure == Measure.CUMULATIVE and year == self.plan.start_year - 1:
            return Decimal(0)
        if reported is not None and reported.rate is not None:
            previous = self.level(year - 1)
            if previous is not None:
                return previous * (1 + reported.rate / HUNDRED)
        return None

    def rate(self, year: int) -> Decimal | None:
        """The growth of ``year`` over the year before, in %."""
        reported = self.values.get(year)
        if reported is not None and reported.rate is not None:
            return reported.rate
        current, previous = self.level(year), self.level(year - 1)
        if current is None or not previous:
            return None
        return (current / previous - 1) * HUNDRED

    def average_growth(self, year: int) -> tuple[Decimal | None, str]:
        """Average yearly growth from the plan's first year to ``year``, in %."""
        start = self.plan.start_year
        if self.rate(year) is None and self.level(year) is None:
            return None, ""
        rates = [self.rate(y) for y in range(start, year + 1)]
        if all(r is not None for r in rates):
            return _geometric_mean(rates), ""
        current = self.level(year)
        if current is not None:
            for earlier in range(start - 1, year):
                base = self.level(earlier)
                if base:
                    growth = (current / base) ** (Decimal(1) / (year - earlier)) - 1
                    return growth * HUNDRED, str(
                        _("按%(from)s年至%(to)s年总量计算的年均增速。")
                        % {"from": earlier, "to": year}
                    )
        known = [r for r in rates if r is not None]
        if self.rate(year) is None:
            return None, str(_("缺少上一年数值，无法计算增速。"))
        years = range(start, year + 1)
        missing = [str(y) for y, r in zip(years, rates, strict=True) if r is None]
        return _geometric_mean(known), str(
            _("%(years)s年未报送，年均增速仅含已报送年份。")
            % {"years": str(_("、")).join(missing)}
        )


def _geometric_mean(rates: list[Decimal]) -> Decimal:
    product = Decimal(1)
    for rate in rates:
        product *= 1 + rate / HUNDRED
    return (product ** (Decimal(1) / len(rates)) - 1) * HUNDRED


def _side(indicator: Indicator, target: IndicatorTarget) -> str:
    """Which way the value must go for ``target``: up, down, or into a band."""
    if target.kind == TargetKind.AT_LEAST:
        return HIGHER
    if target.kind == TargetKind.AT_MOST:
        return LOWER
    return {
        Direction.HIGHER_IS_BETTER: HIGHER,
        Direction.LOWER_IS_BETTER: LOWER,
        Direction.RANGE: BAND,
    }[Direction(indicator.direction)]


def _bounds(target: IndicatorTarget) -> tuple[Decimal, Decimal]:
    """The acceptable interval's ends, tolerance included (open ends not used)."""
    tolerance = (target.tolerance or Decimal(0)) if target.approximate else Decimal(0)
    low = target.value
    high = target.value_max if target.kind == TargetKind.RANGE else target.value
    return low - tolerance, high + tolerance


def satisfies(indicator: Indicator, target: IndicatorTarget, actual: Decimal) -> bool:
    """Whether ``actual`` fulfils ``target``, the right way round."""
    low, high = _bounds(target)
    side = _side(indicator, target)
    if side == HIGHER:
        return actual > low if target.strict else actual >= low
    if side == LOWER:
        return actual < high if target.strict else actual <= high
    return low <= actual <= high


def _final_year(indicator: Indicator, target: IndicatorTarget) -> int:
    return target.year or indicator.plan.end_year


def applies(indicator: Indicator, target: IndicatorTarget, year: int) -> bool:
    if target.kind == TargetKind.YEARLY:
        return target.year == year
    return indicator.plan.start_year <= year <= _final_year(indicator, target)


def _quantize(number: Decimal | None, places: Decimal) -> Decimal | None:
    if number is None:
        return None
    return number.quantize(places, rounding=ROUND_HALF_UP)


def _judge_yearly(series: Series, target: IndicatorTarget, year: int):
    indicator = series.indicator
    if indicator.measure == Measure.RATE:
        actual = _quantize(series.rate(year), RATE_PLACES)
    else:
        actual = series.level(year)
    if actual is None:
        return TargetProgress(target, ProgressStatus.NOT_REPORTED, target.value, None)
    status = (
        ProgressStatus.MET
        if satisfies(indicator, target, actual)
        else ProgressStatus.BEHIND
    )
    return TargetProgress(target, status, target.value, actual)


def _judge_growth(series: Series, target: IndicatorTarget, year: int):
    indicator = series.indicator
    average, note = series.average_growth(year)
    actual = _quantize(average, RATE_PLACES)
    if actual is None:
        return TargetProgress(
            target, ProgressStatus.NOT_REPORTED, target.value, None, note
        )
    if satisfies(indicator, target, actual):
        final = year >= _final_year(indicator, target)
        status = ProgressStatus.MET if final else ProgressStatus.ON_TRACK
    else:
        status = ProgressStatus.BEHIND
    return TargetProgress(target, status, target.value, actual, note)


def _path_start(series: Series, year: int) -> tuple[int, Decimal] | None:
    """Where the straight line to an end-of-plan target starts, if anywhere."""
    indicator = series.indicator
    if indicator.baseline_value is not None and (indicator.baseline_year or 0) < year:
        return indicator.baseline_year, indicator.baseline_value
    if indicator.measure == Measure.CUMULATIVE:
        return series.plan.start_year - 1, Decimal(0)
    return None


@dataclass(frozen=True)
class _Expectation:
    expected: Decimal | None
    # Whether being short of the target can still be on track this year.
    path: bool
    note: str = ""


def _expectation(
    series: Series, target: IndicatorTarget, year: int, side: str, actual
) -> _Expectation:
    """What an end-of-plan target expects in ``year``: a point on the line to it."""
    final = _final_year(series.indicator, target)
    low, high = _bounds(target)
    if side == BAND and actual is not None and actual > high:
        return _Expectation(high, False, str(_("超出目标区间。")))
    # The goal to reach: for a band approached from below, its lower end.
    goal = high if side == LOWER else low
    if year >= final:
        return _Expectation(goal, False)
    start = _path_start(series, year)
    if start is None:
        note = str(_("规划未给出基期值，中期年份按期末目标判断。"))
        return _Expectation(goal, False, note)
    start_year, start_value = start
    if (side == LOWER and start_value <= goal) or (
        side != LOWER and start_value >= goal
    ):
        # The target is below the baseline (above it, for a ceiling): reached at
        # the start already, so the line is flat at the target.
        return _Expectation(goal, True)
    share = Decimal(year - start_year) / Decimal(final - start_year)
    point = start_value + (goal - start_value) * share
    return _Expectation(_quantize(point, LEVEL_PLACES), True)


def _judge_level(series: Series, target: IndicatorTarget, year: int):
    indicator = series.indicator
    side = _side(indicator, target)
    actual = series.level(year)
    expectation = _expectation(series, target, year, side, actual)
    expected, note = expectation.expected, expectation.note
    if actual is None:
        return TargetProgress(target, ProgressStatus.NOT_REPORTED, expected, None)
    if satisfies(indicator, target, actual):
        return TargetProgress(target, ProgressStatus.MET, expected, actual)
    on_path = expectation.path and (
        actual <= expected if side == LOWER else actual >= expected
    )
    status = ProgressStatus.ON_TRACK if on_path else ProgressStatus.BEHIND
    return TargetProgress(target, status, expected, actual, note)


def judge_target(series: Series, target: IndicatorTarget, year: int) -> TargetProgress:
    """The status of one target of ``series.indicator`` in ``year``."""
    if target.kind == TargetKind.YEARLY:
        return _judge_yearly(series, target, year)
    if target.kind == TargetKind.ANNUAL_AVERAGE_GROWTH:
        return _judge_growth(series, target, year)
    return _judge_level(series, target, year)


def plan_years(indicator: Indicator) -> range:
    return range(indicator.plan.start_year, indicator.plan.end_year + 1)


def indicator_progress(
    indicator: Indicator,
    year: int,
    *,
    values: Iterable[IndicatorValue] | None = None,
    targets: Iterable[IndicatorTarget] | None = None,
) -> Progress:
    """Expected vs actual and the status of ``indicator`` in ``year``.

    ``values`` and ``targets`` default to the indicator's own (pass them, e.g.
    prefetched, to judge many years or indicators without a query each). Values
    that are not submitted or approved are ignored.
    """
    if year not in plan_years(indicator):
        raise ValueError(str(_("年度 %(year)s 不在规划期内。")) % {"year": year})
    series = Series(
        indicator, indicator.values.all() if values is None else list(values)
    )
    targets = indicator.targets.all() if targets is None else targets
    judged = tuple(
        judge_target(series, target, year)
        for target in targets
        if applies(indicator, target, year)
    )
    reported = series.reported(year)
    if not judged:
        status = (
            ProgressStatus.NOT_REPORTED if reported is None else ProgressStatus.ON_TRACK
        )
        return Progress(indicator, year, status, None, None, (), reported)
    worst = max(judged, key=lambda item: STATUS_SEVERITY[item.status])
    return Progress(
        indicator,
        year,
        worst.status,
        worst.expected,
        worst.actual,
        judged,
        reported,
    )


def indicator_progress_by_year(
    indicator: Indicator,
    *,
    values: Iterable[IndicatorValue] | None = None,
    targets: Iterable[IndicatorTarget] | None = None,
) -> list[Progress]:
    """``indicator_progress`` for every year of the plan, reading values once."""
    values = list(indicator.values.all() if values is None else values)
    targets = list(indicator.targets.all() if targets is None else targets)
    return [
        indicator_progress(indicator, year, values=values, targets=targets)
        for year in plan_years(indicator)
    ]
