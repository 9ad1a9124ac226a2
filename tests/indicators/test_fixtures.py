"""fixtures/indicators.json agrees with the seed, character for character.

Every 专栏7 figure; for every end-of-plan target its number, unit, wording and
source sentence as written; every “到2025年…” sentence of parts 二 to 六 covered.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from indicators.choices import Direction, Measure, TargetKind
from indicators.loader import INDICATORS_FIXTURE
from indicators.models import Indicator, IndicatorTarget
from portfolio import seed
from portfolio.fixtures import DEPARTMENTS_FIXTURE, PLAN_FIXTURE, load_json

SEED = seed.SOURCE.read_text(encoding="utf-8")
FIXTURE = json.loads(INDICATORS_FIXTURE.read_text(encoding="utf-8"))["indicators"]
BY_CODE = {row["code"]: row for row in FIXTURE}
END_OF_PLAN = [
    (row, target)
    for row in FIXTURE
    for target in row["targets"]
    if target["year"] is None and target["source"] != "专栏7"
]
# Where the plan's own words start: part 一 holds the 2020 baselines; parts 二 to
# 六 the targets; part 七 (strategies) repeats them and is not a source.
PART_TWO = SEED.index("二、规划总则")
PART_SEVEN = SEED.index("七、服务业高质量发展策略")


def number(text: str) -> str:
    return format(Decimal(text).normalize(), "f")


def column7_rows() -> dict[str, list[str]]:
    """专栏7 read straight from the seed: {indicator name: its cells}."""
    start = SEED.index("专栏7 ")
    block = SEED[start : SEED.index("（四）发展思路", start)]
    cells = [line.strip() for line in block.splitlines()[1:] if line.strip()]
    assert cells[:6] == ["考核指标", "2021", "2022", "2023", "2024", "2025"]
    rows, name = {}, None
    for cell in cells[6:]:
        if re.fullmatch(r"[\d.]+|年均增长.*", cell):
            rows[name].append(cell)
        else:
            name = cell
            rows[name] = []
    return rows


def test_column7_unit_is_percent():
    assert "专栏7 巴中市“十四五”服务业考核指标分解表（单位：%）" in SEED
    for code in (
        "service-value-added-growth",
        "service-share-of-gdp",
        "service-investment-growth",
        "service-tax-growth",
        "service-employment-growth",
    ):
        assert BY_CODE[code]["unit"] == "%"


@pytest.mark.django_db
def test_every_column7_figure_is_loaded_as_written():
    rows = column7_rows()
    assert len(rows) == 5
    for name, cells in rows.items():
        indicator = Indicator.objects.get(name=name, source="专栏7")
        targets = list(indicator.targets.order_by("year", "id"))
        if cells[0].startswith("年均增长"):
            # “年均增长20左右”: one plan-wide average, never split into years.
            assert len(cells) == 1
            [target] = targets
            assert target.kind == TargetKind.ANNUAL_AVERAGE_GROWTH
            assert target.year is None
            assert target.text == cells[0]
            assert number(str(target.value)) in cells[0]
            assert target.approximate and target.tolerance == Decimal("0.5")
        else:
            assert [(t.year, t.kind, t.text) for t in targets] == [
                (2021 + i, TargetKind.YEARLY, cell) for i, cell in enumerate(cells)
            ]
            assert [t.value for t in targets] == [Decimal(c) for c in cells]


def test_column7_agrees_with_plan_json():
    plan_rows = {row["code"]: row for row in load_json(PLAN_FIXTURE)["indicators"]}
    assert set(plan_rows) <= set(BY_CODE)
    for code, plan_row in plan_rows.items():
        yearly = {
            str(t["year"]): t["text"]
            for t in BY_CODE[code]["targets"]
            if t["kind"] == TargetKind.YEARLY
        }
        assert yearly == plan_row["yearly"]
        assert BY_CODE[code]["name"] == plan_row["name"]


@pytest.mark.parametrize(
    ("row", "target"),
    END_OF_PLAN,
    ids=[f"{row['code']}-{t['source']}" for row, t in END_OF_PLAN],
)
def test_end_of_plan_target_as_written(row, target):
    """Number, unit and source sentence of each target, as the plan writes them."""
    sentence, text = target["source_text"], target["text"]
    assert sentence in SEED
    assert text in sentence
    # A whole sentence: it starts after a sentence boundary and ends with “。”.
    position = SEED.index(sentence)
    assert SEED[position - 1] in "。\n\t—；", sentence
    assert sentence.endswith("。")
    # In parts 二 to 六 of the plan.
    assert PART_TWO < position < PART_SEVEN
    unit = "%" if target["kind"] == TargetKind.ANNUAL_AVERAGE_GROWTH else row["unit"]
    figure = number(target["value"])
    if target["kind"] == TargetKind.RANGE:
        figure = f"{figure}至{number(target['value_max'])}"
    # The figure is followed by its unit (an image marker of the source document
    # may stand between them, as it does in 专栏16).
    assert re.search(
        rf"(?<![\d.]){re.escape(figure)}(?:\[image: [^\]]+\]\s*)?{re.escape(unit)}",
        text,
    ), (figure, unit, text)


@pytest.mark.parametrize(
    ("row", "target"),
    END_OF_PLAN,
    ids=[f"{row['code']}-{t['source']}" for row, t in END_OF_PLAN],
)
def test_wording_decides_the_kind(row, target):
    """“以上/达到/突破/超过/不低于”, “以内/以下”, “至”, “左右” → kind and strictness."""
    text = target["text"]
    if target["kind"] == TargetKind.ANNUAL_AVERAGE_GROWTH:
        assert "年均增长" in text
    elif "至" in text:
        assert target["kind"] == TargetKind.RANGE
    elif "以内" in text or "以下" in text:
        assert target["kind"] == TargetKind.AT_MOST
        assert row["direction"] == Direction.LOWER_IS_BETTER
    elif "左右" in text:
        assert target["kind"] == TargetKind.APPROXIMATE
    else:
        assert target["kind"] == TargetKind.AT_LEAST
    # “超过”“突破” before the figure exclude it; every other wording includes it.
    figure = re.escape(number(target["value"]))
    assert target["strict"] == bool(re.search(rf"(超过|突破){figure}", text))
    # “左右” always carries its tolerance (±0.5 percentage point by default).
    assert target["approximate"] == ("左右" in text)
    if target["approximate"]:
        assert Decimal(target["tolerance"]) == Decimal("0.5")


def test_every_2025_sentence_is_covered():
    """Each figure of each “到2025年…”/“十四五期间…” sentence of 二–六 is a target."""
    texts = [t["text"] for row in FIXTURE for t in row["targets"]]
    body = SEED[PART_TWO:PART_SEVEN]
    sentences = [
        s for s in re.split(r"(?<=。)", body) if "到2025年" in s or "“十四五”期间" in s
    ]
    assert len(sentences) >= 18
    figure = re.compile(r"\d+(?:\.\d+)?(?:至\d+)?(?:%|万人次|亿元|万亩|个|家|条|所)")
    checked = 0
    for sentence in sentences:
        for phrase in figure.findall(sentence.replace("2025年", "")):
            assert any(phrase in text for text in texts), (phrase, sentence)
            checked += 1
    assert checked >= 50


def test_baselines_are_the_plans_2020_figures():
    part_one = SEED[: SEED.index("二、规划总则")]
    with_baseline = [row for row in FIXTURE if row["baseline"]]
    assert {row["code"] for row in with_baseline} >= {
        "tourism-visitors",
        "tourism-revenue",
        "retail-sales-growth",
        "service-value-added-growth",
        "service-share-of-gdp",
    }
    for row in with_baseline:
        baseline = row["baseline"]
        assert baseline["year"] == 2020
        assert baseline["text"] in part_one
        assert baseline["value"] in baseline["text"]
    assert BY_CODE["tourism-visitors"]["baseline"]["value"] == "2920.55"
    assert BY_CODE["retail-sales-growth"]["baseline"]["value"] == "482"


def test_references_exist():
    departments = {d["code"] for d in load_json(DEPARTMENTS_FIXTURE)["departments"]}
    plan = load_json(PLAN_FIXTURE)
    sectors = {s["code"] for s in plan["sectors"]}
    districts = {d["code"] for d in plan["districts"]}
    assert len(BY_CODE) == len(FIXTURE)
    for row in FIXTURE:
        assert row["department"] in departments, row["code"]
        assert row["sector"] is None or row["sector"] in sectors, row["code"]
        assert row["district"] is None or row["district"] in districts, row["code"]
        assert row["source_text"] in SEED, row["code"]
        assert row["measure"] in Measure.values
        assert row["direction"] in Direction.values


# The figures the issue names, with the kind of target and the direction the plan
# gives them (code, kind, value, value_max, direction).
NAMED = [
    ("tourism-visitors", TargetKind.AT_LEAST, "8000", None, "higher_is_better"),
    ("tourism-revenue", TargetKind.AT_LEAST, "700", None, "higher_is_better"),
    ("tourism-gdp-contribution", TargetKind.AT_LEAST, "25", None, "higher_is_better"),
    ("forest-wellness-visitors", TargetKind.AT_LEAST, "1500", None, "higher_is_better"),
    ("retail-sales-growth", TargetKind.ANNUAL_AVERAGE_GROWTH, "8", None, None),
    ("foreign-trade-growth", TargetKind.ANNUAL_AVERAGE_GROWTH, "15", None, None),
    ("logistics-cost-ratio", TargetKind.AT_MOST, "18", None, "lower_is_better"),
    ("creative-value-added", TargetKind.ANNUAL_AVERAGE_GROWTH, "12", None, None),
    ("creative-value-added", TargetKind.AT_LEAST, "35", None, None),
    ("creative-share-of-gdp", TargetKind.AT_LEAST, "4", None, None),
    ("finance-share-of-gdp", TargetKind.AT_LEAST, "4.5", None, None),
    ("new-banking-institutions", TargetKind.RANGE, "2", "3", "higher_is_better"),
    ("new-insurance-institutions", TargetKind.RANGE, "2", "3", "higher_is_better"),
    ("innovation-platforms", TargetKind.AT_LEAST, "50", None, None),
    ("high-tech-enterprises", TargetKind.AT_LEAST, "60", None, None),
    ("hr-service-agencies", TargetKind.AT_LEAST, "100", None, None),
    ("hr-service-revenue", TargetKind.AT_LEAST, "5", None, None),
    ("e-commerce-volume", TargetKind.AT_LEAST, "50", None, None),
    ("restaurant-streets", TargetKind.AT_LEAST, "14", None, None),
    ("catering-revenue-growth", TargetKind.ANNUAL_AVERAGE_GROWTH, "15", None, None),
    ("public-kindergartens", TargetKind.AT_LEAST, "50", None, None),
    ("compulsory-schools", TargetKind.AT_LEAST, "200", None, None),
    ("high-schools", TargetKind.AT_LEAST, "15", None, None),
    ("sports-population-share", TargetKind.AT_LEAST, "40", None, None),
    ("bank-npl-ratio", TargetKind.AT_MOST, "5", None, "lower_is_better"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "kind", "value", "value_max", "direction"), NAMED)
def test_named_targets_are_loaded(code, kind, value, value_max, direction):
    indicator = Indicator.objects.get(code=code)
    target = indicator.targets.filter(kind=kind).first()
    assert target is not None
    assert target.year is None
    assert target.value == Decimal(value)
    assert target.value_max == (Decimal(value_max) if value_max else None)
    assert target.source_text in SEED
    assert indicator.department is not None
    if direction:
        assert indicator.direction == direction


@pytest.mark.django_db
def test_loaded_database_equals_the_fixture():
    assert Indicator.objects.count() == len(FIXTURE)
    assert IndicatorTarget.objects.count() == sum(len(r["targets"]) for r in FIXTURE)
    for row in FIXTURE:
        indicator = Indicator.objects.select_related("department").get(code=row["code"])
        assert indicator.department.code == row["department"]
        assert indicator.source_text == row["source_text"]
        for spec in row["targets"]:
            target = indicator.targets.get(
                year=spec["year"], kind=spec["kind"], source=spec["source"]
            )
            assert target.text == spec["text"]
            assert target.source_text == spec["source_text"]
            assert target.value == Decimal(spec["value"])
            assert target.strict == spec["strict"]


def test_retail_growth_wordings_follow_the_plan():
    """The plan says “8%以上” in 二、（三） and “力争…8%左右” in 四、（三）."""
    goal = "到2025年，全市社会消费品零售总额年均增长8%以上"
    sector = "到2025年，力争社会消费品零售总额年均增长8%左右"
    assert goal in SEED and sector in SEED
    assert SEED.index(goal) < SEED.index("三、规划布局") < SEED.index(sector)
    targets = {t["source"]: t for t in BY_CODE["retail-sales-growth"]["targets"]}
    assert targets["二、（三）发展目标"]["text"].endswith("8%以上")
    assert not targets["二、（三）发展目标"]["approximate"]
    assert targets["四、（三）提质发展商贸物流业"]["text"].endswith("8%左右")
    assert targets["四、（三）提质发展商贸物流业"]["approximate"]
