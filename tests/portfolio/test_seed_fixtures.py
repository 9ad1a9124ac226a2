"""The committed fixtures agree with the plan's text, character for character."""

from __future__ import annotations

import copy
import os
from collections import Counter
from pathlib import Path

import pytest

from portfolio import seed
from portfolio.fixtures import PLAN_FIXTURE, build_plan_fixture, load_json

SHARED_SEED = (
    Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_253faf4ba7773f15.txt"
)


def differences(fixture: dict, expected: dict) -> list[str]:
    """Every place where the fixture differs from a fresh parse of the plan."""
    out = []
    for section in ("plan", "districts", "sectors", "clusters", "projects"):
        got, want = fixture[section], expected[section]
        if isinstance(want, list):
            if len(got) != len(want):
                out.append(f"{section}: {len(got)} rows, plan has {len(want)}")
            for index, (a, b) in enumerate(zip(got, want, strict=False)):
                for key in b:
                    if a.get(key) != b[key]:
                        out.append(f"{section}[{index}].{key}: {a.get(key)!r}")
        elif got != want:
            out.append(f"{section}: {got!r}")
    if fixture["indicators"] != expected["indicators"]:
        out.append("indicators differ")
    return out


@pytest.fixture(scope="module")
def expected():
    return build_plan_fixture(seed.read_source())


@pytest.fixture(scope="module")
def fixture():
    return load_json(PLAN_FIXTURE)


def test_source_copy_is_the_shared_seed():
    """fixtures/plan_source.txt is the seed document itself, byte for byte."""
    if not SHARED_SEED.exists():
        if os.environ.get("CI"):
            pytest.fail(f"seed document missing in CI: {SHARED_SEED}")
        pytest.skip("../shared/seed not present on this machine")
    assert seed.SOURCE.read_bytes() == SHARED_SEED.read_bytes()


def test_fixture_equals_fresh_parse(fixture, expected):
    assert differences(fixture, expected) == []


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("projects", "name"),
        ("projects", "period"),
        ("projects", "content"),
        ("projects", "district"),
        ("clusters", "name"),
        ("clusters", "planned_output"),
        ("clusters", "level"),
        ("clusters", "planned_formats"),
        ("sectors", "positioning"),
    ],
)
def test_one_changed_character_is_caught(fixture, expected, section, field):
    for index in (0, len(fixture[section]) // 2, len(fixture[section]) - 1):
        mutated = copy.deepcopy(fixture)
        value = mutated[section][index][field]
        mutated[section][index][field] = value[:-1] + chr(ord(value[-1]) + 1)
        assert differences(mutated, expected), (section, index, field)


def test_row_counts_per_table(expected):
    counts = Counter(row["table"] for row in expected["projects"])
    assert counts == {1: 15, 2: 9, 3: 72, 4: 15, 5: 1, 6: 15, 7: 8}
    assert sum(counts.values()) == 135


def test_row_counts_per_district(expected):
    counts = Counter(row["district"] for row in expected["projects"])
    assert counts == {
        "bazhou": 40,
        "pingchang": 31,
        "tongjiang": 19,
        "jingkai": 18,
        "nanjiang": 17,
        "enyang": 10,
    }


def test_numbers_restart_in_each_table(expected):
    for table in range(1, 8):
        numbers = [r["number"] for r in expected["projects"] if r["table"] == table]
        assert numbers == list(range(1, len(numbers) + 1))


def test_hand_read_rows(expected):
    """Rows read by eye from the printed tables, to check the parser itself."""
    by_code = {row["code"]: row for row in expected["projects"]}
    assert by_code["t1-003"]["name"] == "五里車农旅产业园"
    assert by_code["t1-007"]["period"] == "2021"
    assert (by_code["t1-007"]["start_year"], by_code["t1-007"]["end_year"]) == (
        2021,
        2021,
    )
    assert by_code["t1-005"]["period"] == "2020-2028"
    assert by_code["t3-001"]["start_year"] == 2012
    assert by_code["t5-001"]["name"] == "巴中推进革命老区振兴发展人力资源服务产业园"
    assert by_code["t7-008"]["content"] == "建筑面积1.5万平方米，新增床位174张。"
    assert min(r["start_year"] for r in expected["projects"]) == 2010
    assert max(r["end_year"] for r in expected["projects"]) == 2028


def test_clusters(expected):
    clusters = expected["clusters"]
    assert len(clusters) == 21
    assert Counter(c["level"] for c in clusters) == {
        "province": 6,
        "city": 6,
        "county": 9,
    }
    ninth = clusters[8]
    assert ninth["name"] == "巴城商贸旗舰集聚区"
    assert ninth["districts"] == ["bazhou", "jingkai"]
    assert ninth["planned_output"] == "100"
    assert clusters[0]["name"] == "光雾山—米仓山旅游康养集聚区"
    assert clusters[0]["belt"] == "两江文旅康养融合发展示范带"
    assert clusters[20]["belt"] == "两河商贸文旅集聚发展带"


def test_sectors(expected):
    sectors = expected["sectors"]
    assert len(sectors) == 14
    assert Counter(s["tier"] for s in sectors) == {
        "pillar": 4,
        "growth": 7,
        "public": 3,
    }
    assert (
        sectors[12]["positioning"] == "川东北医疗卫生强市\n国际山地户外运动休闲目的地"
    )
    assert [s["priority"] for s in sectors[:6]] == [5, 5, 5, 5, 4, 3]


def test_indicators(expected):
    rows = {row["name"]: row for row in expected["indicators"]}
    assert rows["服务业增加值占GDP的比重"]["yearly"] == {
        "2021": "51",
        "2022": "51.5",
        "2023": "52",
        "2024": "52.5",
        "2025": "53",
    }
    assert rows["服务业增加值速度"]["yearly"]["2024"] == "9.5"
    assert rows["服务业税收增速"]["annual_average_text"] == "年均增长20左右"
    assert rows["服务业从业人员增速"]["yearly"] == {}
