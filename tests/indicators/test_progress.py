"""The progress function, table-driven: each kind of target, each way round.

For every kind: a value that is met, one on track, one behind, one exactly on the
boundary, and a missing one. Plain objects, no database: the plan runs 2021–2025.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from indicators.choices import Direction, Measure, ProgressStatus, TargetKind
from indicators.models import Indicator, IndicatorTarget, IndicatorValue
from indicators.progress import indicator_progress
from portfolio.choices import ReviewState
from portfolio.models import Plan

MET = ProgressStatus.MET
ON_TRACK = ProgressStatus.ON_TRACK
BEHIND = ProgressStatus.BEHIND
NOT_REPORTED = ProgressStatus.NOT_REPORTED
HIGHER = Direction.HIGHER_IS_BETTER
LOWER = Direction.LOWER_IS_BETTER
BAND = Direction.RANGE


@dataclass
class Case:
    name: str
    kind: TargetKind
    value: str
    year: int
    status: ProgressStatus
    # {year: level} or {year: ("rate", r)} as reported (approved).
    reported: dict = field(default_factory=dict)
    expected: str | None = None
    actual: str | None = None
    direction: Direction = HIGHER
    measure: Measure = Measure.LEVEL
    value_max: str | None = None
    strict: bool = False
    tolerance: str | None = None
    target_year: int | None = None
    baseline: str | None = None


def build(case: Case):
    plan = Plan(start_year=2021, end_year=2025)
    indicator = Indicator(
        plan=plan,
        code="t",
        name="测试指标",
        unit="%",
        direction=case.direction,
        measure=case.measure,
        baseline_year=2020 if case.baseline else None,
        baseline_value=Decimal(case.baseline) if case.baseline else None,
    )
    target = IndicatorTarget(
        indicator=indicator,
        year=case.target_year,
        kind=case.kind,
        value=Decimal(case.value),
        value_max=Decimal(case.value_max) if case.value_max else None,
        strict=case.strict,
        approximate=case.tolerance is not None,
        tolerance=Decimal(case.tolerance) if case.tolerance else None,
        text="测试",
    )
    values = []
    for year, reported in case.reported.items():
        value = IndicatorValue(indicator=indicator, year=year, state="approved")
        if isinstance(reported, tuple):
            value.rate = Decimal(reported[1])
        else:
            value.value = Decimal(reported)
        values.append(value)
    return indicator, target, values


def rates(rate: str, years=range(2021, 2026)) -> dict:
    return {year: ("rate", rate) for year in years}


# fmt: off
CASES = [
    # --- yearly (专栏7: 服务业增加值占GDP的比重 2023 = 52) ----------------------
    Case("yearly met", TargetKind.YEARLY, "52", 2023, MET, {2023: "52.3"},
         "52", "52.3", target_year=2023),
    Case("yearly boundary", TargetKind.YEARLY, "52", 2023, MET, {2023: "52"},
         target_year=2023),
    Case("yearly behind", TargetKind.YEARLY, "52", 2023, BEHIND, {2023: "51.9"},
         target_year=2023),
    Case("yearly missing", TargetKind.YEARLY, "52", 2023, NOT_REPORTED,
         {2022: "52"}, "52", None, target_year=2023),
    # A growth-rate indicator (服务业增加值速度 2022 = 8.5): the reported rate, or
    # the rate that follows from the totals of consecutive years.
    Case("yearly rate met", TargetKind.YEARLY, "8.5", 2022, MET,
         {2022: ("rate", "8.6")}, measure=Measure.RATE, target_year=2022),
    Case("yearly rate from totals, boundary", TargetKind.YEARLY, "8.5", 2022, MET,
         {2021: "400", 2022: "434"}, "8.5", "8.5", measure=Measure.RATE,
         target_year=2022),
    Case("yearly rate from totals, behind", TargetKind.YEARLY, "8.5", 2022, BEHIND,
         {2021: "400", 2022: "433.9"}, measure=Measure.RATE, target_year=2022),
    Case("yearly rate, last year missing", TargetKind.YEARLY, "8.5", 2022,
         NOT_REPORTED, {2022: "434"}, measure=Measure.RATE, target_year=2022),
    # --- annual-average growth, a floor (“年均增长8%以上”) -------------------
    Case("growth met at the end", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", 2025, MET,
         rates("8.4"), "8", "8.4", measure=Measure.RATE),
    Case("growth on track mid-plan", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", 2023,
         ON_TRACK, rates("9", range(2021, 2024)), measure=Measure.RATE),
    Case("growth boundary", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", 2025, MET,
         rates("8"), "8", "8", measure=Measure.RATE),
    Case("growth 7.9 behind “以上”", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", 2025,
         BEHIND, rates("7.9"), "8", "7.9", measure=Measure.RATE),
    Case("growth missing", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", 2024,
         NOT_REPORTED, rates("9", range(2021, 2024)), measure=Measure.RATE),
    # An average, not yearly figures: a slow year made up by a fast one.
    Case("growth averages over the years", TargetKind.ANNUAL_AVERAGE_GROWTH, "8",
         2022, ON_TRACK, {2021: ("rate", "6"), 2022: ("rate", "10.1")},
         "8", "8.03", measure=Measure.RATE),
    # Totals only: growth from the 2020 baseline (482 亿元) to 2025.
    Case("growth from totals and baseline", TargetKind.ANNUAL_AVERAGE_GROWTH, "8",
         2025, MET, {2025: "708.22"}, "8", "8", measure=Measure.RATE,
         baseline="482"),
    # --- annual-average growth “左右” with its tolerance (±0.5) --------------
    Case("approx growth 7.9 met", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", 2025, MET,
         rates("7.9"), measure=Measure.RATE, tolerance="0.5"),
    Case("approx growth boundary 7.5", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", 2025,
         MET, rates("7.5"), measure=Measure.RATE, tolerance="0.5"),
    Case("approx growth 7.49 behind", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", 2025,
         BEHIND, rates("7.49"), measure=Measure.RATE, tolerance="0.5"),
    Case("approx growth on track", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", 2023,
         ON_TRACK, rates("7.9", range(2021, 2024)), measure=Measure.RATE,
         tolerance="0.5"),
    # --- at least, with a baseline (游客 2920.55 → 8000万人次以上) -----------
    Case("at least met early", TargetKind.AT_LEAST, "8000", 2023, MET,
         {2023: "8500"}, baseline="2920.55"),
    Case("at least on track", TargetKind.AT_LEAST, "8000", 2023, ON_TRACK,
         {2023: "6000"}, "5968.22", "6000", baseline="2920.55"),
    Case("at least on the line", TargetKind.AT_LEAST, "8000", 2023, ON_TRACK,
         {2023: "5968.22"}, baseline="2920.55"),
    Case("at least behind the line", TargetKind.AT_LEAST, "8000", 2023, BEHIND,
         {2023: "5000"}, "5968.22", "5000", baseline="2920.55"),
    Case("at least boundary at the end", TargetKind.AT_LEAST, "8000", 2025, MET,
         {2025: "8000"}, baseline="2920.55"),
    Case("at least short at the end", TargetKind.AT_LEAST, "8000", 2025, BEHIND,
         {2025: "7999"}, "8000", "7999", baseline="2920.55"),
    Case("at least missing", TargetKind.AT_LEAST, "8000", 2023, NOT_REPORTED,
         {}, "5968.22", None, baseline="2920.55"),
    # “超过4%”: strict, and no baseline: mid-plan judged against the end target.
    Case("strict boundary not met", TargetKind.AT_LEAST, "4", 2025, BEHIND,
         {2025: "4"}, strict=True),
    Case("strict just over", TargetKind.AT_LEAST, "4", 2025, MET, {2025: "4.01"},
         strict=True),
    Case("no baseline mid-plan", TargetKind.AT_LEAST, "4", 2023, BEHIND,
         {2023: "3.9"}, "4", "3.9", strict=True),
    # A count made since the plan began (新建幼儿园50所): the line starts at 0.
    Case("cumulative on track", TargetKind.AT_LEAST, "50", 2023, ON_TRACK,
         {2023: "30"}, "30", "30", measure=Measure.CUMULATIVE),
    Case("cumulative behind", TargetKind.AT_LEAST, "50", 2023, BEHIND,
         {2023: "29"}, measure=Measure.CUMULATIVE),
    Case("cumulative met", TargetKind.AT_LEAST, "50", 2024, MET, {2024: "50"},
         measure=Measure.CUMULATIVE),
    # A target below the baseline: reached at the start; falling under it is behind.
    Case("below baseline kept", TargetKind.AT_LEAST, "100", 2023, MET,
         {2023: "110"}, baseline="120"),
    Case("below baseline lost", TargetKind.AT_LEAST, "100", 2023, BEHIND,
         {2023: "90"}, "100", "90", baseline="120"),
    # --- at most, lower is better (物流费用比率 18%以内) ----------------------
    Case("ceiling 17 met", TargetKind.AT_MOST, "18", 2025, MET, {2025: "17"},
         direction=LOWER),
    Case("ceiling boundary 18 met", TargetKind.AT_MOST, "18", 2025, MET,
         {2025: "18"}, direction=LOWER),
    Case("ceiling 19 behind", TargetKind.AT_MOST, "18", 2025, BEHIND,
         {2025: "19"}, "18", "19", direction=LOWER),
    Case("ceiling 19 behind mid-plan", TargetKind.AT_MOST, "18", 2023, BEHIND,
         {2023: "19"}, direction=LOWER),
    Case("ceiling 17 met mid-plan", TargetKind.AT_MOST, "18", 2022, MET,
         {2022: "17"}, direction=LOWER),
    Case("ceiling missing", TargetKind.AT_MOST, "18", 2025, NOT_REPORTED, {},
         direction=LOWER),
    # With a baseline above the ceiling, the line goes down: 20 → 18.
    Case("ceiling on the way down", TargetKind.AT_MOST, "18", 2023, ON_TRACK,
         {2023: "18.5"}, "18.8", "18.5", direction=LOWER, baseline="20"),
    Case("ceiling on the line", TargetKind.AT_MOST, "18", 2023, ON_TRACK,
         {2023: "18.8"}, direction=LOWER, baseline="20"),
    Case("ceiling above the line", TargetKind.AT_MOST, "18", 2023, BEHIND,
         {2023: "19"}, direction=LOWER, baseline="20"),
    # A ceiling above the baseline (15, ceiling 18): met unless it rises past it.
    Case("ceiling over baseline kept", TargetKind.AT_MOST, "18", 2023, MET,
         {2023: "16"}, direction=LOWER, baseline="15"),
    Case("ceiling over baseline lost", TargetKind.AT_MOST, "18", 2023, BEHIND,
         {2023: "19"}, "18", "19", direction=LOWER, baseline="15"),
    # “控制在5%以下”: 以下 includes the figure itself.
    Case("npl boundary", TargetKind.AT_MOST, "5", 2025, MET, {2025: "5"},
         direction=LOWER),
    # --- range “2至3家” (more institutions are welcome: higher is better) ----
    Case("range lower bound", TargetKind.RANGE, "2", 2025, MET, {2025: "2"},
         value_max="3", measure=Measure.CUMULATIVE),
    Case("range upper bound", TargetKind.RANGE, "2", 2025, MET, {2025: "3"},
         value_max="3", measure=Measure.CUMULATIVE),
    Case("range exceeded, higher is better", TargetKind.RANGE, "2", 2025, MET,
         {2025: "4"}, value_max="3", measure=Measure.CUMULATIVE),
    Case("range short at the end", TargetKind.RANGE, "2", 2025, BEHIND,
         {2025: "1"}, "2", "1", value_max="3", measure=Measure.CUMULATIVE),
    Case("range on track", TargetKind.RANGE, "2", 2022, ON_TRACK, {2022: "1"},
         "0.8", "1", value_max="3", measure=Measure.CUMULATIVE),
    Case("range behind", TargetKind.RANGE, "2", 2024, BEHIND, {2024: "1"},
         "1.6", "1", value_max="3", measure=Measure.CUMULATIVE),
    Case("range missing", TargetKind.RANGE, "2", 2024, NOT_REPORTED, {},
         value_max="3", measure=Measure.CUMULATIVE),
    # A band indicator (direction “range”): over the top is off target too.
    Case("band inside", TargetKind.RANGE, "2", 2025, MET, {2025: "2.5"},
         value_max="3", direction=BAND),
    Case("band top boundary", TargetKind.RANGE, "2", 2025, MET, {2025: "3"},
         value_max="3", direction=BAND),
    Case("band overshoot", TargetKind.RANGE, "2", 2023, BEHIND, {2023: "3.5"},
         "3", "3.5", value_max="3", direction=BAND, baseline="1"),
    Case("band on the way up", TargetKind.RANGE, "2", 2023, ON_TRACK,
         {2023: "1.7"}, "1.6", "1.7", value_max="3", direction=BAND, baseline="1"),
    # --- approximate level “5%左右” (±0.5) ----------------------------------
    Case("approx level boundary", TargetKind.APPROXIMATE, "5", 2025, MET,
         {2025: "4.5"}, "4.5", "4.5", tolerance="0.5"),
    Case("approx level short", TargetKind.APPROXIMATE, "5", 2025, BEHIND,
         {2025: "4.49"}, tolerance="0.5"),
    Case("approx level above is fine", TargetKind.APPROXIMATE, "5", 2025, MET,
         {2025: "6"}, tolerance="0.5"),
    Case("approx level on track", TargetKind.APPROXIMATE, "5", 2023, ON_TRACK,
         {2023: "3.5"}, "3.5", "3.5", tolerance="0.5", baseline="2"),
    Case("approx level missing", TargetKind.APPROXIMATE, "5", 2025, NOT_REPORTED,
         {}, tolerance="0.5"),
    Case("approx band too high", TargetKind.APPROXIMATE, "5", 2025, BEHIND,
         {2025: "5.6"}, direction=BAND, tolerance="0.5"),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_progress(case: Case):
    indicator, target, values = build(case)
    progress = indicator_progress(indicator, case.year, values=values, targets=[target])
    assert progress.status == case.status
    if case.expected is not None:
        assert progress.expected == Decimal(case.expected)
    if case.actual is not None:
        assert progress.actual == Decimal(case.actual)
    if case.status == NOT_REPORTED:
        assert progress.actual is None


def test_every_kind_is_covered_met_behind_and_missing():
    seen = {(case.kind, case.status) for case in CASES}
    for kind in TargetKind:
        for status in (MET, BEHIND, NOT_REPORTED):
            assert (kind, status) in seen, (kind, status)
    for kind in (
        TargetKind.ANNUAL_AVERAGE_GROWTH,
        TargetKind.AT_LEAST,
        TargetKind.AT_MOST,
        TargetKind.RANGE,
        TargetKind.APPROXIMATE,
    ):
        assert (kind, ON_TRACK) in seen, kind
    assert any("boundary" in case.name for case in CASES)


def test_drafts_and_returned_values_do_not_count():
    case = Case(
        "draft", TargetKind.AT_MOST, "18", 2025, MET, {2025: "17"}, direction=LOWER
    )
    indicator, target, values = build(case)
    for state in (ReviewState.DRAFT, ReviewState.RETURNED):
        values[0].state = state
        progress = indicator_progress(indicator, 2025, values=values, targets=[target])
        assert progress.status == NOT_REPORTED
    values[0].state = ReviewState.SUBMITTED
    progress = indicator_progress(indicator, 2025, values=values, targets=[target])
    assert progress.status == MET


def test_worst_target_decides_the_year():
    """Two targets (“8%以上” and “8%左右”) and 7.9: the year is behind, by the first."""
    plan = Plan(start_year=2021, end_year=2025)
    indicator = Indicator(plan=plan, code="r", measure=Measure.RATE)
    floor = IndicatorTarget(
        indicator=indicator,
        kind=TargetKind.ANNUAL_AVERAGE_GROWTH,
        value=Decimal(8),
        text="年均增长8%以上",
    )
    about = IndicatorTarget(
        indicator=indicator,
        kind=TargetKind.ANNUAL_AVERAGE_GROWTH,
        value=Decimal(8),
        approximate=True,
        tolerance=Decimal("0.5"),
        text="年均增长8%左右",
    )
    values = [
        IndicatorValue(
            indicator=indicator, year=y, rate=Decimal("7.9"), state="approved"
        )
        for y in range(2021, 2026)
    ]
    progress = indicator_progress(
        indicator, 2025, values=values, targets=[about, floor]
    )
    assert [t.status for t in progress.targets] == [MET, BEHIND]
    assert progress.status == BEHIND
    assert progress.deciding.target is floor


def test_years_outside_the_plan_are_refused():
    indicator, target, values = build(Case("x", TargetKind.AT_LEAST, "1", 2025, MET))
    with pytest.raises(ValueError, match="2026"):
        indicator_progress(indicator, 2026, values=values, targets=[target])


def test_growth_with_a_missing_year_uses_the_totals():
    """Totals for 2021 and 2023 only: the average is taken over the two years."""
    case = Case(
        "gap",
        TargetKind.ANNUAL_AVERAGE_GROWTH,
        "8",
        2023,
        ON_TRACK,
        {2021: "100", 2023: "117"},
        measure=Measure.RATE,
    )
    indicator, target, values = build(case)
    progress = indicator_progress(indicator, 2023, values=values, targets=[target])
    assert progress.status == ON_TRACK
    assert progress.actual == Decimal("8.17")
    assert "2021年至2023年" in progress.note
