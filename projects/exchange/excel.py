"""Excel workbooks built from querysets: the plan's project tables and the template.

Pure functions: they take querysets (or lists) and return openpyxl workbooks, so
the admin, the API (``?format=xlsx``) and commands all build the same files.

- ``projects_workbook``: the project tables in the plan's own layout (序号, 项目名称,
  县区, 建设年限, 建设规模及内容) plus one year's state, phase, investment and
  progress; one sheet per table (表1 … 表7, the plan's table title as title row)
  or one sheet for a filtered list.
- ``table_workbook``: any list of rows as one sheet, same styling (for API lists).
- ``template_workbook``: the year-progress template a clerk fills in and imports
  again (``projects.importing``); its hidden column A holds each row's key.

Every sheet has a title row, a frozen header row, column widths that fit Chinese
text (a CJK character counts as two) and numbers stored as numbers.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from portfolio.choices import EDITABLE_STATES, ReviewState
from portfolio.spreadsheets import xlsx_text
from projects.choices import (
    CONTINUING_LABEL,
    NEW_START_LABEL,
    Phase,
)
from projects.models import Project, YearRecord

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The title of each table, character for character as the plan prints it
# (tests compare them with the seed parser's reading of the plan text). Lazy: the
# sheet writer turns them into str.
TABLE_TITLES: dict[int, str] = {
    1: _("巴中市“十四五”旅游业重大项目表"),
    2: _("巴中市“十四五”康养业重大项目表"),
    3: _("巴中市“十四五”商贸物流业重大项目表"),
    4: _("巴中市“十四五”文化创意产业重大项目表"),
    5: _("巴中市“十四五”人力资源服务业重大项目表"),
    6: _("巴中市“十四五”教育重大项目表"),
    7: _("巴中市“十四五”医疗卫生重大项目表"),
}

# Cell kinds: how a value is written and how wide its column may grow.
INT, MONEY, PERCENT, TEXT, LONG_TEXT = "int", "money", "percent", "text", "long"
_NUMBER_FORMATS = {INT: "0", MONEY: "#,##0.00", PERCENT: "0.00"}
_WIDTH_CAPS = {INT: 10, MONEY: 16, PERCENT: 12, TEXT: 30, LONG_TEXT: 60}
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_LOCKED_FILL = PatternFill("solid", fgColor="EEEEEE")
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header and the kind of value it holds."""

    header: str
    kind: str = TEXT


def text_width(value: Any) -> int:
    """Display width of ``value``: wide (CJK, full-width) characters count two."""
    if value is None:
        return 0
    if isinstance(value, Decimal | float):
        value = f"{value:,.2f}"
    lines = str(value).splitlines() or [""]
    return max(
        sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
        for line in lines
    )


def sheet_write(
    ws: Worksheet,
    *,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Write a title row, a frozen header and ``rows``; return the number of rows.

    Numbers stay numbers (ints, Decimals); long texts wrap in a capped column and
    their row grows to show them. A text that a spreadsheet would read as a
    formula (``=…``, ``+…``, ``-…``, ``@…``) is written as a string cell, never a
    formula (``portfolio.spreadsheets``), so the import reads it back unchanged.
    """
    ncols = len(columns)
    xlsx_text(ws.cell(row=TITLE_ROW, column=1, value=str(title))).font = Font(
        bold=True, size=14
    )
    ws.cell(row=TITLE_ROW, column=1).alignment = Alignment(horizontal="center")
    if ncols > 1:
        ws.merge_cells(
            start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols
        )
    ws.row_dimensions[TITLE_ROW].height = 26
    widths = [text_width(column.header) for column in columns]
    for index, column in enumerate(columns, start=1):
        cell = xlsx_text(
            ws.cell(row=HEADER_ROW, column=index, value=str(column.header))
        )
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(
            horizontal="center", vertical="center", wrap_text=True
        )
    count = 0
    for count, values in enumerate(rows, start=1):
        row = HEADER_ROW + count
        lines = 1
        for index, (column, value) in enumerate(
            zip(columns, values, strict=True), start=1
        ):
            if isinstance(value, Promise):  # a lazy Chinese label
                value = str(value)
            cell = xlsx_text(ws.cell(row=row, column=index, value=value))
            cell.border = _BORDER
            if column.kind in _NUMBER_FORMATS:
                cell.number_format = _NUMBER_FORMATS[column.kind]
                cell.alignment = Alignment(vertical="top")
            else:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
            width = text_width(value)
            cap = _WIDTH_CAPS[column.kind]
            widths[index - 1] = max(widths[index - 1], min(width, cap))
            if width > cap:
                lines = max(lines, -(-width // cap))
        if lines > 1:
            # Excel does not grow a row for wrapped text written by a library.
            ws.row_dimensions[row].height = min(15 * lines, 400)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(width + 2, 6)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=1)
    if count:
        ws.auto_filter.ref = (
            f"A{HEADER_ROW}:{get_column_letter(ncols)}{HEADER_ROW + count}"
        )
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return count


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_workbook(
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    sheet_name: str = _("数据"),
) -> Workbook:
    """Any list as one styled sheet; column kinds are guessed from the values."""
    rows = [list(row) for row in rows]
    kinds = []
    for index in range(len(headers)):
        values = [row[index] for row in rows if row[index] not in (None, "")]
        if values and all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        ):
            kinds.append(INT)
        elif values and all(isinstance(v, int | float | Decimal) for v in values):
            kinds.append(MONEY)
        elif any(text_width(v) > _WIDTH_CAPS[TEXT] for v in values):
            kinds.append(LONG_TEXT)
        else:
            kinds.append(TEXT)
    workbook = Workbook()
    ws = workbook.active
    ws.title = _sheet_name(str(sheet_name))
    sheet_write(
        ws,
        title=title,
        columns=[Column(h, k) for h, k in zip(headers, kinds, strict=True)],
        rows=rows,
    )
    return workbook


def _sheet_name(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, "")
    return name[:31] or "Sheet"


# --- The project tables ----------------------------------------------------------

BY_TABLE, SINGLE_SHEET = "tables", "single"
EXPORT_LAYOUTS = {
    BY_TABLE: _("每个项目表一个工作表（表1—表7）"),
    SINGLE_SHEET: _("当前筛选结果一个工作表"),
}


def year_columns(year: int) -> list[Column]:
    """The chosen year's columns after the plan's own five."""
    named = {"year": year}
    return [
        Column(gettext("%(year)s年审核状态") % named),
        Column(gettext("%(year)s年阶段") % named),
        Column(gettext("%(year)s年计划投资（万元）") % named, MONEY),
        Column(gettext("%(year)s年完成投资（万元）") % named, MONEY),
        Column(gettext("%(year)s年形象进度（%%）") % named, PERCENT),
        Column(gettext("%(year)s年进展情况") % named, LONG_TEXT),
    ]


def plan_columns() -> list[Column]:
    return [
        Column(gettext("序号"), INT),
        Column(gettext("项目名称"), TEXT),
        Column(gettext("县区"), TEXT),
        Column(gettext("建设年限"), TEXT),
        Column(gettext("建设规模及内容"), LONG_TEXT),
    ]


def projects_for_export(projects: QuerySet[Project], *, year: int) -> QuerySet[Project]:
    """``projects`` with what the export reads, in three queries whatever the size."""
    return projects.select_related("district", "table").prefetch_related(
        Prefetch(
            "year_records",
            queryset=YearRecord.objects.filter(year=year),
            to_attr="export_records",
        )
    )


def _project_values(project: Project) -> list[Any]:
    records = getattr(project, "export_records", None) or []
    record = records[0] if records else None
    values: list[Any] = [
        project.number,
        project.name,
        project.district.name,
        project.period,
        project.content,
    ]
    if record is None:
        return values + [gettext("未建立"), "", None, None, None, ""]
    return values + [
        ReviewState(record.state).label,
        record.phase_label if record.phase else gettext("未填报"),
        record.planned_investment,
        record.actual_investment,
        record.percent_complete,
        record.progress,
    ]


def projects_workbook(
    projects: QuerySet[Project],
    *,
    year: int,
    layout: str = BY_TABLE,
    title: str | None = None,
) -> Workbook:
    """The projects as the plan prints them, with ``year``'s figures.

    ``BY_TABLE``: one sheet per table 表1 … 表7 (those with rows; all seven when
    empty), the plan's title as title row. ``SINGLE_SHEET``: one sheet in the
    queryset's order, with a 项目表 column since 序号 restarts in each table.
    """
    projects = projects_for_export(projects, year=year)
    workbook = Workbook()
    workbook.remove(workbook.active)
    if layout == SINGLE_SHEET:
        ws = workbook.create_sheet(
            _sheet_name(gettext("%(year)s年项目") % {"year": year})
        )
        rows = ([_table_label(p), *_project_values(p)] for p in projects)
        sheet_write(
            ws,
            title=title
            or gettext("巴中市“十四五”服务业重大项目（%(year)s年度）") % {"year": year},
            columns=[Column(gettext("项目表")), *plan_columns(), *year_columns(year)],
            rows=rows,
        )
        return workbook
    by_table: dict[int, list[Project]] = {}
    titles: dict[int, str] = {}
    for project in projects.order_by("table__number", "number"):
        number = project.table.number if project.table_id else 0
        by_table.setdefault(number, []).append(project)
        if project.table_id:
            titles[number] = project.table.title
    if not by_table:
        titles = {number: str(title) for number, title in TABLE_TITLES.items()}
        by_table = {number: [] for number in titles}
    for table in sorted(by_table):
        ws = workbook.create_sheet(
            gettext("表%(number)s") % {"number": table} if table else gettext("储备")
        )
        sheet_write(
            ws,
            title=titles.get(table, ""),
            columns=[*plan_columns(), *year_columns(year)],
            rows=(_project_values(p) for p in by_table[table]),
        )
    return workbook


def _table_label(project: Project) -> str:
    """表N, or nothing for a reserve project."""
    return project.table.label if project.table_id else ""


# --- The year-progress template ---------------------------------------------------

# Lazy: str() them where openpyxl needs a str (a sheet's title).
TEMPLATE_SHEET = _("年度填报")
HELP_SHEET = _("填写说明")
KEY_SEPARATOR = "|"


@dataclass(frozen=True)
class TemplateColumn:
    """A column of the import template; ``field`` is the YearRecord field edited."""

    name: str
    header: str
    kind: str = TEXT
    field: str | None = None


TEMPLATE_COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("key", _("校验键（请勿修改）")),
    TemplateColumn("table", _("项目表")),
    TemplateColumn("number", _("序号"), INT),
    TemplateColumn("name", _("项目名称")),
    TemplateColumn("district", _("县区")),
    TemplateColumn("period", _("建设年限")),
    TemplateColumn("state", _("审核状态")),
    TemplateColumn("phase", _("年度阶段"), TEXT, "phase"),
    TemplateColumn(
        "planned_investment", _("计划投资（万元）"), MONEY, "planned_investment"
    ),
    TemplateColumn(
        "actual_investment", _("完成投资（万元）"), MONEY, "actual_investment"
    ),
    TemplateColumn("percent_complete", _("形象进度（%）"), PERCENT, "percent_complete"),
    TemplateColumn("progress", _("进展情况"), LONG_TEXT, "progress"),
    TemplateColumn("problems", _("存在问题"), LONG_TEXT, "problems"),
    TemplateColumn("next_steps", _("下一步计划"), LONG_TEXT, "next_steps"),
    TemplateColumn("reason", _("阶段变更原因"), TEXT),
)
# What a clerk may type in the phase column, keyed by the phase's code: the words
# the offices write in their files, which must keep meaning the same phase whatever
# the interface calls it. The current label is accepted too. The words are
# wrapped for translators; the keys of PHASE_WORDS are real str (matched with what
# a clerk typed).
PHASE_SYNONYMS: dict[Phase, tuple[str, ...]] = {
    Phase.PREPARING: (_("前期"),),
    Phase.UNDER_CONSTRUCTION: (
        _("在建"),
        str(NEW_START_LABEL),
        str(CONTINUING_LABEL),
        _("新开工"),
        _("续建"),
    ),
    Phase.COMPLETED: (_("竣工"),),
    Phase.IN_OPERATION: (_("投运"),),
    Phase.SUSPENDED: (_("停缓建"),),
    Phase.CANCELLED: (_("取消"),),
}
PHASE_WORDS: dict[str, Phase] = {
    str(form): phase
    for phase in Phase
    for word in (*PHASE_SYNONYMS[phase], str(phase.label))
    # As typed, and as the import reads it (NFKC: （续建） becomes (续建)).
    for form in (str(word), unicodedata.normalize("NFKC", str(word)))
}


def phase_choices() -> list[str]:
    """The phases a clerk picks from in the template: the words of every page
    (在建 as 在建（新开工） or 在建（续建））."""
    words = []
    for phase in Phase:
        if phase == Phase.UNDER_CONSTRUCTION:
            words += [str(NEW_START_LABEL), str(CONTINUING_LABEL)]
        else:
            words.append(str(phase.label))
    return words


def template_title(year: int) -> str:
    return gettext("巴中市“十四五”服务业重大项目%(year)s年度进展填报表") % {
        "year": year
    }


def template_key(record: YearRecord) -> str:
    """The row key: project code, year and the record's version when downloaded."""
    return KEY_SEPARATOR.join(
        [record.project.code, str(record.year), str(record.version)]
    )


def parse_template_key(text: str) -> tuple[str, int, int] | None:
    """``(code, year, version)`` from a row key, or None when it is not one."""
    parts = str(text).strip().split(KEY_SEPARATOR)
    if len(parts) != 3 or not parts[0]:
        return None
    try:
        return parts[0], int(parts[1]), int(parts[2])
    except ValueError:
        return None


def _template_values(record: YearRecord) -> list[Any]:
    project = record.project
    return [
        template_key(record),
        _table_label(project),
        project.number,
        project.name,
        project.district.name,
        project.period,
        ReviewState(record.state).label,
        record.phase_label if record.phase else None,
        record.planned_investment,
        record.actual_investment,
        record.percent_complete,
        record.progress,
        record.problems,
        record.next_steps,
        None,
    ]


def template_workbook(records: QuerySet[YearRecord], *, year: int) -> Workbook:
    """The year's template, pre-filled with ``records`` (a clerk's own, usually).

    The sheet is protected: only the figures and texts of draft or returned
    records can be typed in (no password: protection prevents slips, and the
    import checks every key and version anyway). Column A, hidden, holds the
    key ``code|year|version`` the import matches rows by.
    """
    records = records.filter(year=year).select_related(
        "project", "project__district", "project__table"
    )
    records = records.order_by("project__table__number", "project__number")
    workbook = Workbook()
    ws = workbook.active
    ws.title = str(TEMPLATE_SHEET)
    rows = [_template_values(record) for record in records]
    sheet_write(
        ws,
        title=template_title(year),
        columns=[Column(c.header, c.kind) for c in TEMPLATE_COLUMNS],
        rows=rows,
    )
    ws.column_dimensions["A"].hidden = True
    editable_columns = [
        index
        for index, column in enumerate(TEMPLATE_COLUMNS, start=1)
        if column.field or column.name == "reason"
    ]
    for offset, record in enumerate(records):
        row = FIRST_DATA_ROW + offset
        open_for_edit = record.state in EDITABLE_STATES
        for index in editable_columns:
            cell = ws.cell(row=row, column=index)
            if open_for_edit:
                cell.protection = Protection(locked=False)
            else:
                cell.fill = _LOCKED_FILL
    last_row = FIRST_DATA_ROW + max(len(rows), 1) - 1
    phase_column = get_column_letter(
        next(i for i, c in enumerate(TEMPLATE_COLUMNS, 1) if c.name == "phase")
    )
    choices = ",".join(phase_choices())
    validation = DataValidation(
        type="list",
        formula1=f'"{choices}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=gettext("年度阶段"),
        error=gettext("请从下拉列表中选择：%(choices)s") % {"choices": choices},
    )
    validation.add(f"{phase_column}{FIRST_DATA_ROW}:{phase_column}{last_row}")
    ws.add_data_validation(validation)
    ws.protection.sheet = True
    # Let clerks resize and format; rows and columns stay where they are.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    ws.protection.autoFilter = False
    ws.protection.sort = True
    _help_sheet(workbook.create_sheet(str(HELP_SHEET)), year)
    workbook.active = 0
    return workbook


def _help_sheet(ws: Worksheet, year: int) -> None:
    lines = [
        gettext("%(title)s 填写说明") % {"title": template_title(year)},
        gettext(
            "1. 只填写“年度阶段”至“阶段变更原因”各列；灰色行已提交或已审核，不能修改。"
        ),
        gettext(
            "2. 请勿增删行、改动表头或隐藏的 A 列（校验键）；"
            "系统按校验键核对项目和版本。"
        ),
        gettext("3. 年度阶段可选：%(phases)s（在建也可写新开工、续建）。")
        % {"phases": gettext("、").join(phase_choices())},
        gettext(
            "4. 投资单位为万元，形象进度填 0—100 的数字；"
            "全角数字和空格（如１２３）系统会自动转换。"
        ),
        gettext(
            "5. 请填写数值而非公式；含公式、合并单元格或日期格式数字的文件将被拒绝。"
        ),
        gettext("6. 阶段改为停缓建或取消时，须在“阶段变更原因”列写明原因。"),
        gettext("7. 导入前系统先逐行校验并显示修改预览，全部无误并确认后才保存。"),
    ]
    for row, line in enumerate(lines, start=1):
        ws.cell(row=row, column=1, value=line).alignment = Alignment(wrap_text=False)
    ws["A1"].font = Font(bold=True, size=13)
    ws.column_dimensions["A"].width = 100
