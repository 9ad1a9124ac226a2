"""The plan workbook's layout: its sheet names, keys and headings, as written in
CONTRACT.md. Data, not interface (listed in docs/architecture.md's i18n-data)."""

from __future__ import annotations

import re

PLAN_SHEET = "规划"
VALUE = "值"
TABLE_SHEET = re.compile(r"^表(\d{1,2})$")
PLAN_KEYS = {
    "编码": "code",
    "名称": "name",
    "印发机关": "issuer",
    "印发日期": "issued_on",
    "起始年": "start_year",
    "结束年": "end_year",
}
NUMBER = "序号"
NAME = "项目名称"
DISTRICT = "县区"
PERIOD = "建设年限"
CONTENT = "建设规模及内容"
SECTOR = "产业"
CLUSTERS = "所属集聚区"
CONTINUES = "续建自"
REQUIRED_HEADINGS = [NUMBER, NAME, DISTRICT, PERIOD, CONTENT, SECTOR]
OPTIONAL_HEADINGS = [CLUSTERS, CONTINUES]
# Separators of cluster names in one cell, and of a period's two years.
CLUSTER_SEPARATORS = re.compile(r"[、,，]")
PERIOD_FORM = re.compile(r"^\s*(\d{4})\s*(?:[-－—–~～至]\s*(\d{4}))?\s*$")
