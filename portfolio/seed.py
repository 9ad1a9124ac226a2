"""Read the plan's own text (``fixtures/plan_source.txt``) into plain records.

The seed document is a text export of the printed plan: every table cell stands on
a line that starts with a tab, a cell that wraps in print continues on the next
lines without a tab, and rows are separated by blank lines. This module turns those
cells back into rows. ``build_fixtures`` writes its output to ``fixtures/*.json``
and the test suite compares the committed fixtures with a fresh parse, so that a
fixture can never drift from the plan by a single character.

Wrapped cells: a name that wraps in print ("光雾山—米仓山\\n旅游康养集聚区") is one
name, so names and districts are joined without the line break; descriptive texts
(positioning) keep their line breaks, because there the break separates items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "fixtures" / "plan_source.txt"

DISTRICT_NAMES = ("巴州区", "恩阳区", "巴中经开区", "南江县", "通江县", "平昌县")

TABLE_SECTORS = {
    1: "旅游",
    2: "康养",
    3: "商贸物流",
    4: "文化创意",
    5: "人力资源服务",
    6: "教育",
    7: "医疗和体育",
}

LEVELS = {"省级": "province", "市级": "city", "县（区）级": "county"}

PROJECT_HEADER = ["序号", "项目名称", "县区", "建设年限", "建设规模及内容"]


@dataclass(frozen=True)
class ProjectRow:
    table: int
    title: str
    number: int
    name: str
    district: str
    period: str
    start_year: int
    end_year: int
    content: str


@dataclass(frozen=True)
class ClusterRow:
    belt: str
    number: int
    name: str
    districts: tuple[str, ...]
    formats: str
    planned_output: str
    level: str


@dataclass(frozen=True)
class SectorRow:
    order: int
    tier: str
    name: str
    stars: int
    positioning: str


@dataclass(frozen=True)
class IndicatorRow:
    order: int
    name: str
    yearly: tuple[str, ...]
    annual_average_text: str


def read_source(path: Path | None = None) -> list[str]:
    return (path or SOURCE).read_text(encoding="utf-8").split("\n")


def _cells(lines: list[str]) -> list[str]:
    """Cells of a table block: a tab opens a cell, other lines continue it."""
    cells: list[str] = []
    for line in lines:
        if line.startswith("\t"):
            cells.append(line[1:])
        elif line.strip() and cells:
            cells[-1] += "\n" + line
    return cells


def _block(lines: list[str], start: int, stop_marker) -> list[str]:
    block = []
    for line in lines[start + 1 :]:
        if stop_marker(line):
            break
        block.append(line)
    return block


def _find(lines: list[str], pattern: str) -> int:
    regex = re.compile(pattern)
    for index, line in enumerate(lines):
        if regex.search(line):
            return index
    raise ValueError(f"seed: {pattern!r} not found")


def parse_period(period: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", period)
    if not match:
        raise ValueError(f"seed: unreadable construction period {period!r}")
    start = int(match.group(1))
    return start, int(match.group(2) or start)


def parse_projects(lines: list[str] | None = None) -> list[ProjectRow]:
    """Every row of 表1 … 表7."""
    lines = lines if lines is not None else read_source()
    rows: list[ProjectRow] = []
    for table in range(1, 8):
        start = _find(lines, rf"^\s*表{table}\s*$")
        title = lines[start + 1].strip()
        block = _block(
            lines,
            start + 1,
            lambda line: re.match(r"^\s*表\d\s*$", line) or line.startswith("名词解释"),
        )
        cells = _cells(block)
        if cells[:5] != PROJECT_HEADER:
            raise ValueError(f"seed: 表{table} header is {cells[:5]!r}")
        body = cells[5:]
        if len(body) % 5:
            raise ValueError(f"seed: 表{table} has a ragged row")
        for offset in range(0, len(body), 5):
            number, name, district, period, content = body[offset : offset + 5]
            first, last = parse_period(period)
            rows.append(
                ProjectRow(
                    table=table,
                    title=title,
                    number=int(number),
                    name=name,
                    district=district,
                    period=period,
                    start_year=first,
                    end_year=last,
                    content=content,
                )
            )
    return rows


def _split_districts(cell: str) -> tuple[str, ...]:
    text = cell.replace("\n", "")
    found = []
    while text:
        for name in DISTRICT_NAMES:
            if text.startswith(name):
                found.append(name)
                text = text[len(name) :]
                break
        else:
            raise ValueError(f"seed: unknown district in {cell!r}")
    return tuple(found)


def parse_clusters(lines: list[str] | None = None) -> list[ClusterRow]:
    """The 21 clusters of 专栏10; a blank belt cell repeats the belt above."""
    lines = lines if lines is not None else read_source()
    start = _find(lines, r"专栏10 ")
    block = _block(lines, start, lambda line: line.startswith("四、"))
    cells = _cells(block)
    header = ["产业带", "序号", "集聚区名称", "所在\n区域", "规划业态"]
    rows: list[ClusterRow] = []
    belt = ""
    index = 0
    while index < len(cells):
        if cells[index : index + 5] == header:
            index += 7  # header row: 产业带 … 规划产值 … 规划等级
            continue
        belt_cell, number, name, district, formats, output, level = cells[
            index : index + 7
        ]
        belt = belt_cell.strip() or belt
        rows.append(
            ClusterRow(
                belt=belt,
                number=int(number),
                name=name.replace("\n", ""),
                districts=_split_districts(district),
                formats=formats,
                planned_output=output,
                level=LEVELS[level],
            )
        )
        index += 7
    return rows


def parse_sectors(lines: list[str] | None = None) -> list[SectorRow]:
    """The 14 industries of 专栏6 with tier, stars and positioning."""
    lines = lines if lines is not None else read_source()
    start = _find(lines, r"专栏6 ")
    block = _block(lines, start, lambda line: line.startswith("（三）"))
    cells = _cells(block)
    if cells[:4] != ["类别", "产业名称", "发展时序", "发展定位"]:
        raise ValueError(f"seed: 专栏6 header is {cells[:4]!r}")
    body = cells[4:]
    rows: list[SectorRow] = []
    tier = ""
    for order, offset in enumerate(range(0, len(body), 4), start=1):
        tier_cell, name, stars, positioning = body[offset : offset + 4]
        tier = tier_cell.strip() or tier
        rows.append(
            SectorRow(
                order=order,
                tier=tier,
                name=name,
                stars=stars.count("★"),
                positioning=positioning,
            )
        )
    return rows


def parse_indicators(lines: list[str] | None = None) -> list[IndicatorRow]:
    """The assessment indicators of 专栏7 (five rows, %, years 2021–2025)."""
    lines = lines if lines is not None else read_source()
    start = _find(lines, r"专栏7 ")
    block = _block(lines, start, lambda line: line.startswith("（四）"))
    cells = _cells(block)
    if cells[:6] != ["考核指标", "2021", "2022", "2023", "2024", "2025"]:
        raise ValueError(f"seed: 专栏7 header is {cells[:6]!r}")
    body = cells[6:]
    rows: list[IndicatorRow] = []
    index = 0
    order = 1
    while index < len(body):
        name = body[index]
        following = body[index + 1 : index + 6]
        if following and following[0].startswith("年均增长"):
            rows.append(IndicatorRow(order, name, (), following[0]))
            index += 2
        else:
            rows.append(IndicatorRow(order, name, tuple(following), ""))
            index += 6
        order += 1
    return rows


def plan_header(lines: list[str] | None = None) -> dict[str, str]:
    """The plan's title, issuing body and printing date, as written."""
    lines = lines if lines is not None else read_source()
    issuer = lines[0].strip()
    title = lines[_find(lines, r"^\s*巴中市“十四五”服务业发展规划\s*$")].strip()
    printed = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日印发", "\n".join(lines))
    if not printed:
        raise ValueError("seed: printing date not found")
    year, month, day = (int(part) for part in printed.groups())
    return {
        "issuer": issuer,
        "name": title,
        "issued_on": f"{year:04d}-{month:02d}-{day:02d}",
    }
