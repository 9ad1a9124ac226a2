"""The shape of ``fixtures/plan.json``: the plan's data plus our stable codes.

Codes (district, sector, cluster, project) are ours, for URLs and APIs; every
name, number and text comes from the plan through ``portfolio.seed``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import seed

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
PLAN_FIXTURE = FIXTURES_DIR / "plan.json"
DEPARTMENTS_FIXTURE = FIXTURES_DIR / "departments.json"

PLAN_CODE = "bazhong-14th-service"

DISTRICTS = [
    # (code, name, kind) in the plan's order.
    ("bazhou", "巴州区", "district"),
    ("enyang", "恩阳区", "district"),
    ("jingkai", "巴中经开区", "development_zone"),
    ("nanjiang", "南江县", "county"),
    ("tongjiang", "通江县", "county"),
    ("pingchang", "平昌县", "county"),
]

SECTOR_CODES = {
    "旅游": "tourism",
    "康养": "wellness",
    "商贸物流": "commerce-logistics",
    "文化创意": "culture-creative",
    "金融服务": "finance",
    "科技信息服务": "tech-info",
    "人力资源服务": "human-resources",
    "电子商务": "e-commerce",
    "商务服务": "business-services",
    "特色餐饮": "catering",
    "家庭社区服务": "household-community",
    "教育": "education",
    "医疗和体育": "medical-sports",
    "住房保障": "housing",
}

TIERS = {"支柱型服务业": "pillar", "成长型服务业": "growth", "公共服务业": "public"}

INDICATOR_CODES = {
    "服务业增加值速度": "service-value-added-growth",
    "服务业增加值占GDP的比重": "service-share-of-gdp",
    "服务业投资增速": "service-investment-growth",
    "服务业税收增速": "service-tax-growth",
    "服务业从业人员增速": "service-employment-growth",
}


def project_code(table: int, number: int) -> str:
    return f"t{table}-{number:03d}"


def cluster_code(number: int) -> str:
    return f"c{number:02d}"


def _tables(lines: list[str], sector_codes: dict[str, str]) -> list[dict[str, Any]]:
    """The plan's tables (表1 … 表7): number, title as printed, sector."""
    titles: dict[int, str] = {}
    for row in seed.parse_projects(lines):
        titles.setdefault(row.table, row.title)
    return [
        {
            "number": number,
            "title": title,
            "sector": sector_codes[seed.TABLE_SECTORS[number]],
        }
        for number, title in sorted(titles.items())
    ]


def build_plan_fixture(lines: list[str]) -> dict[str, Any]:
    header = seed.plan_header(lines)
    district_codes = {name: code for code, name, _ in DISTRICTS}
    sector_codes = SECTOR_CODES
    return {
        "plan": {
            "code": PLAN_CODE,
            "name": header["name"],
            "issuer": header["issuer"],
            "issued_on": header["issued_on"],
            "start_year": 2021,
            "end_year": 2025,
        },
        "districts": [
            {"code": code, "name": name, "kind": kind, "order": order}
            for order, (code, name, kind) in enumerate(DISTRICTS, start=1)
        ],
        "sectors": [
            {
                "code": sector_codes[row.name],
                "name": row.name,
                "tier": TIERS[row.tier],
                "tier_text": row.tier,
                "priority": row.stars,
                "positioning": row.positioning,
                "order": row.order,
            }
            for row in seed.parse_sectors(lines)
        ],
        "clusters": [
            {
                "code": cluster_code(row.number),
                "belt": row.belt,
                "number": row.number,
                "name": row.name,
                "districts": [district_codes[name] for name in row.districts],
                "planned_formats": row.formats,
                "planned_output": row.planned_output,
                "level": row.level,
            }
            for row in seed.parse_clusters(lines)
        ],
        "tables": _tables(lines, sector_codes),
        "projects": [
            {
                "code": project_code(row.table, row.number),
                "table": row.table,
                "number": row.number,
                "name": row.name,
                "district": district_codes[row.district],
                "sector": sector_codes[seed.TABLE_SECTORS[row.table]],
                "period": row.period,
                "start_year": row.start_year,
                "end_year": row.end_year,
                "content": row.content,
            }
            for row in seed.parse_projects(lines)
        ],
        "indicators": [
            {
                "code": INDICATOR_CODES[row.name],
                "name": row.name,
                "order": row.order,
                "unit": "%",
                "yearly": dict(
                    zip(map(str, range(2021, 2026)), row.yearly, strict=False)
                ),
                "annual_average_text": row.annual_average_text,
            }
            for row in seed.parse_indicators(lines)
        ],
    }


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
