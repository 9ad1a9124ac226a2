"""Reading a plan from a workbook (规划导入): the layout of CONTRACT.md, checked.

- Sheet ``规划``: two columns (项目 | 值), rows 编码, 名称, 印发机关, 印发日期
  (YYYY-MM-DD), 起始年, 结束年 (other rows, e.g. 说明, are read and ignored).
- One sheet per table, named ``表N``: row 1 the title, row 2 the headings
  序号 | 项目名称 | 县区 | 建设年限 | 建设规模及内容 | 产业 [| 所属集聚区] [| 续建自],
  data from row 3.

``plan_workbook_read`` returns the whole plan or raises ``PlanWorkbookInvalid``
with every error found, each naming its sheet, row and column in Chinese.
Nothing is written here: ``plan_loading`` writes what was read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from portfolio.models import Cluster, District, Plan, Sector
from projects.models import Project

from .plan_layout import (
    CLUSTER_SEPARATORS,
    CLUSTERS,
    CONTENT,
    CONTINUES,
    DISTRICT,
    NAME,
    NUMBER,
    PERIOD,
    PERIOD_FORM,
    PLAN_KEYS,
    PLAN_SHEET,
    REQUIRED_HEADINGS,
    SECTOR,
    TABLE_SHEET,
    VALUE,
)

# The widest file accepted: beyond that it is not a plan.
MAX_ROWS = 2000


@dataclass(frozen=True)
class WorkbookError:
    """One error, where a person finds it: sheet, row, column (letter and name)."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = gettext("工作表“%(sheet)s”") % {"sheet": self.sheet}
        if self.row is not None:
            where += gettext("第%(row)s行") % {"row": self.row}
        if self.column:
            where += gettext("%(column)s列") % {"column": self.column}
        return gettext("%(where)s：%(message)s") % {
            "where": where,
            "message": self.message,
        }


class PlanWorkbookInvalid(Exception):
    """The workbook cannot be loaded; ``errors`` says every reason."""

    def __init__(self, errors: list[WorkbookError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ProjectRow:
    table: int
    number: int
    name: str
    district: District
    period: str
    start_year: int
    end_year: int
    content: str
    sector: Sector
    clusters: list[Cluster] = field(default_factory=list)
    continues: Project | None = None


@dataclass
class TableSheet:
    number: int
    title: str
    rows: list[ProjectRow] = field(default_factory=list)


@dataclass
class PlanWorkbook:
    plan: dict[str, Any]
    tables: list[TableSheet]

    @property
    def project_count(self) -> int:
        return sum(len(t.rows) for t in self.tables)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _column(index: int, heading: str) -> str:
    letter = get_column_letter(index)
    if not heading:
        return letter
    return gettext("%(letter)s（%(heading)s）") % {"letter": letter, "heading": heading}


class _Reader:
    """Reads one workbook, collecting errors instead of stopping at the first."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.errors: list[WorkbookError] = []
        self.districts = {d.name: d for d in District.objects.all()}
        # Names of the existing sectors and clusters: the latest plan's win.
        self.sectors = {
            s.name: s for s in Sector.objects.order_by("plan__start_year", "order")
        }
        self.clusters = {
            c.name: c for c in Cluster.objects.order_by("plan__start_year", "number")
        }
        self.continued_rows: dict[str, str] = {}
        self.sheet = ""

    def error(self, sheet, row, column, message) -> None:
        self.errors.append(WorkbookError(str(sheet), row, column, str(message)))

    def read(self) -> PlanWorkbook:
        plan = self.read_plan()
        tables = []
        for name in self.workbook.sheetnames:
            match = TABLE_SHEET.match(name.strip())
            if match:
                tables.append(self.read_table(name, int(match.group(1)), plan))
        if not tables:
            self.error(
                PLAN_SHEET,
                None,
                "",
                gettext("工作簿中没有项目表（名为“表N”的工作表）。"),
            )
        if self.errors:
            raise PlanWorkbookInvalid(self.errors)
        return PlanWorkbook(plan=plan, tables=sorted(tables, key=lambda t: t.number))

    # --- 规划 ---------------------------------------------------------------

    def read_plan(self) -> dict[str, Any]:
        if PLAN_SHEET not in self.workbook.sheetnames:
            self.error(PLAN_SHEET, None, "", gettext("缺少工作表“规划”。"))
            return {}
        ws = self.workbook[PLAN_SHEET]
        values: dict[str, tuple[int, str]] = {}
        for index, row in enumerate(
            ws.iter_rows(min_row=1, max_row=50, max_col=2, values_only=True), start=1
        ):
            key = _text(row[0]) if row else ""
            if key in PLAN_KEYS:
                values[PLAN_KEYS[key]] = (index, _text(row[1] if len(row) > 1 else ""))
        plan: dict[str, Any] = {}
        for label, name in PLAN_KEYS.items():
            if name not in values or not values[name][1]:
                self.error(
                    PLAN_SHEET,
                    values.get(name, (None,))[0],
                    _column(2, VALUE),
                    gettext("缺少“%(label)s”。") % {"label": label},
                )
                continue
            row, text = values[name]
            plan[name] = self.plan_value(name, label, row, text)
        start, end = plan.get("start_year"), plan.get("end_year")
        if isinstance(start, int) and isinstance(end, int) and end < start:
            self.error(
                PLAN_SHEET,
                values["end_year"][0],
                _column(2, VALUE),
                gettext("结束年不能早于起始年。"),
            )
        return plan

    def plan_value(self, name: str, label: str, row: int, text: str) -> Any:
        column = _column(2, VALUE)
        if name == "issued_on":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                self.error(
                    PLAN_SHEET,
                    row,
                    column,
                    gettext("印发日期应为 YYYY-MM-DD，而不是“%(text)s”。")
                    % {"text": text},
                )
                return None
        if name in ("start_year", "end_year"):
            if not (text.isascii() and text.isdigit() and len(text) == 4):
                self.error(
                    PLAN_SHEET,
                    row,
                    column,
                    gettext("%(label)s应为四位年份，而不是“%(text)s”。")
                    % {"label": label, "text": text},
                )
                return None
            return int(text)
        if name == "code" and not re.fullmatch(r"[-a-zA-Z0-9_]{1,30}", text):
            self.error(
                PLAN_SHEET,
                row,
                column,
                gettext("编码只能由字母、数字、连字符组成（至多30个字符）。"),
            )
        return text

    # --- 表N ----------------------------------------------------------------

    def headings(self, ws, sheet: str) -> dict[str, int] | None:
        header = [
            _text(c)
            for c in next(ws.iter_rows(min_row=2, max_row=2, values_only=True), ())
        ]
        positions = {name: i for i, name in enumerate(header, start=1) if name}
        missing = [name for name in REQUIRED_HEADINGS if name not in positions]
        for offset, name in enumerate(REQUIRED_HEADINGS, start=1):
            if header[offset - 1 : offset] != [name]:
                self.error(
                    sheet,
                    2,
                    _column(offset, ""),
                    gettext("表头应为“%(name)s”。") % {"name": name},
                )
        if missing:
            return None
        return positions

    def read_table(self, sheet: str, number: int, plan: dict) -> TableSheet:
        self.sheet = sheet
        ws = self.workbook[sheet]
        title = _text(ws.cell(row=1, column=1).value)
        table = TableSheet(number=number, title=title)
        if not title:
            self.error(sheet, 1, _column(1, ""), gettext("第1行应为项目表的标题。"))
        positions = self.headings(ws, sheet)
        if positions is None:
            return table
        seen: dict[int, int] = {}
        rows = ws.iter_rows(min_row=3, max_row=MAX_ROWS, values_only=True)
        for index, cells in enumerate(rows, start=3):
            values = {
                name: _text(cells[i - 1]) if i - 1 < len(cells) else ""
                for name, i in positions.items()
            }
            if not any(values.values()):
                continue
            row = self.read_row(sheet, index, number, values, positions, plan, seen)
            if row is not None:
                table.rows.append(row)
        return table

    def read_row(self, sheet, index, table, values, positions, plan, seen):
        def fail(name: str, message) -> None:
            self.error(sheet, index, _column(positions[name], name), message)

        for name in REQUIRED_HEADINGS:
            if not values[name]:
                fail(name, gettext("不能为空。"))
        if any(not values[name] for name in REQUIRED_HEADINGS):
            return None
        number = self.number(values[NUMBER], fail, seen, index)
        district = self.districts.get(values[DISTRICT])
        if district is None:
            fail(
                DISTRICT,
                gettext("没有名为“%(name)s”的县区。") % {"name": values[DISTRICT]},
            )
        sector = self.sectors.get(values[SECTOR])
        if sector is None:
            fail(
                SECTOR, gettext("没有名为“%(name)s”的产业。") % {"name": values[SECTOR]}
            )
        years = self.period(values[PERIOD], fail)
        clusters = self.cluster_list(values.get(CLUSTERS, ""), fail)
        own = f"p{plan.get('start_year')}-t{table}-{number:03d}" if number else ""
        continues = self.continued(values.get(CONTINUES, ""), fail, plan, own)
        if None in (number, district, sector, years) or clusters is None:
            return None
        if continues is False:
            return None
        return ProjectRow(
            table=table,
            number=number,
            name=values[NAME],
            district=district,
            period=values[PERIOD],
            start_year=years[0],
            end_year=years[1],
            content=values[CONTENT],
            sector=sector,
            clusters=clusters,
            continues=continues or None,
        )

    def number(self, text: str, fail, seen: dict[int, int], index: int):
        if not (text.isascii() and text.isdigit() and 0 < int(text) < 10000):
            fail(NUMBER, gettext("序号应为正整数，而不是“%(text)s”。") % {"text": text})
            return None
        number = int(text)
        if number in seen:
            fail(
                NUMBER,
                gettext("序号 %(number)s 与第%(row)s行重复。")
                % {"number": number, "row": seen[number]},
            )
            return None
        seen[number] = index
        return number

    def period(self, text: str, fail) -> tuple[int, int] | None:
        match = PERIOD_FORM.match(text)
        if not match:
            fail(
                PERIOD,
                gettext("建设年限应为“YYYY-YYYY”或“YYYY”，而不是“%(text)s”。")
                % {"text": text},
            )
            return None
        start = int(match.group(1))
        end = int(match.group(2) or start)
        if end < start:
            fail(PERIOD, gettext("完工年不能早于开工年。"))
            return None
        return start, end

    def cluster_list(self, text: str, fail) -> list[Cluster] | None:
        names = [n.strip() for n in CLUSTER_SEPARATORS.split(text) if n.strip()]
        unknown = [n for n in names if n not in self.clusters]
        if unknown:
            fail(
                CLUSTERS,
                gettext("没有名为“%(names)s”的集聚区。")
                % {"names": gettext("、").join(unknown)},
            )
            return None
        return [self.clusters[n] for n in names]

    def continued(self, code: str, fail, plan: dict, own: str):
        """The earlier plan's project, None when the cell is empty, False on error.

        A project goes on in one project only: not twice in the workbook, and
        not if another project (``own`` is this row's code) continues it already.
        """
        if not code:
            return None
        if code in self.continued_rows:
            fail(
                CONTINUES,
                gettext("项目“%(code)s”已在%(where)s续建。")
                % {"code": code, "where": self.continued_rows[code]},
            )
            return False
        self.continued_rows[code] = gettext("工作表“%(sheet)s”") % {"sheet": self.sheet}
        project = Project.objects.filter(code=code).select_related("plan").first()
        if project is None:
            fail(CONTINUES, gettext("没有编码为“%(code)s”的项目。") % {"code": code})
            return False
        if project.plan.code == plan.get("code"):
            fail(CONTINUES, gettext("续建自的项目须属于更早的规划。"))
            return False
        following = Project.objects.filter(continues=project).first()
        if following is not None and following.code != own:
            fail(
                CONTINUES,
                gettext("项目“%(code)s”已由“%(other)s”续建。")
                % {"code": code, "other": following.code},
            )
            return False
        return project


def plan_workbook_read(file) -> PlanWorkbook:
    """The plan in ``file`` (a path or a binary file), or PlanWorkbookInvalid."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a bad file
        raise PlanWorkbookInvalid(
            [
                WorkbookError(
                    "", None, "", gettext("无法读取该文件：不是有效的 xlsx 工作簿。")
                )
            ]
        ) from exc
    try:
        return _Reader(workbook).read()
    finally:
        workbook.close()


def plan_of(parsed: PlanWorkbook) -> Plan | None:
    """The plan the workbook describes, if it is loaded already."""
    return Plan.objects.filter(code=parsed.plan.get("code")).first()
