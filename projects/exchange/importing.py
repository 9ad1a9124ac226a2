"""Import of a year's progress from the template of ``projects.excel``.

The file is checked before anything reads it (size, kind, zip bomb), then the
sheet's shape (template headers, merged cells, formulas), then every row and
cell. Rows go through ``services.year_record_update`` — the same service as the
admin form — so history names the importer, the workflow refuses submitted and
approved records, and scope is enforced. Everything runs in one transaction that
is rolled back unless every row is valid and the caller asked to commit: a
preview is the same run, rolled back.

Decisions where files are hostile:

- over ``MAX_UPLOAD_BYTES`` (5 MB): refused before it is read;
- not a zip / not an .xlsx (an .xls, a CSV, a renamed text file): refused;
- a zip whose parts unpack to more than ``MAX_UNCOMPRESSED_BYTES`` or compress
  suspiciously well: refused before openpyxl opens it (Python's zipfile never
  inflates a member past its declared size, so the declared sizes bound memory);
- formulas: refused, naming the cells (a formula's cached value may be stale or
  absent: files saved by other programs often have none);
- merged cells below the title row: refused, naming the range;
- a date (a real one, or text such as 2026-05-01 / 2026年5月) in a number column:
  refused, naming the cell; in a text column a real date becomes ``YYYY-MM-DD``;
- full-width digits, full-width spaces and separators in number cells (１２３,
  １，２００．５, 　８０％): normalised with NFKC and accepted; texts are kept as
  typed, only trimmed of surrounding (also full-width) spaces.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from portfolio import review
from portfolio.exceptions import TransitionNotAllowed
from portfolio.selectors import user_scope
from portfolio.services import Actor
from projects import services, workflow
from projects.exchange.cells import (
    IDEOGRAPHIC_SPACE,
    CellInvalid,
    _blank,
    _display,
    _same,
    number_parse,
    phase_parse,
    text_parse,
)
from projects.exchange.excel import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    MONEY,
    PERCENT,
    TEMPLATE_COLUMNS,
    TEMPLATE_SHEET,
    TITLE_ROW,
    TemplateColumn,
    parse_template_key,
)
from projects.models import YearRecord

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 1000
MAX_ROWS = 5000
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: the old binary formats

COLUMNS_BY_NAME = {column.name: column for column in TEMPLATE_COLUMNS}
COLUMN_INDEX = {column.name: index for index, column in enumerate(TEMPLATE_COLUMNS, 1)}
FIELD_COLUMN = {column.field: column for column in TEMPLATE_COLUMNS if column.field}


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


@dataclass(frozen=True)
class CellError:
    """A problem with one cell, one row, or (row None) the whole file."""

    message: str
    row: int | None = None
    column: TemplateColumn | None = None
    cell: str = ""

    @property
    def where(self) -> str:
        if self.row is None and not self.cell:
            return gettext("文件")
        parts = []
        if self.row is not None:
            parts.append(gettext("第%(row)s行") % {"row": self.row})
        if self.column is not None:
            letter = get_column_letter(COLUMN_INDEX[self.column.name])
            parts.append(
                gettext("%(letter)s列（%(header)s）")
                % {"letter": letter, "header": self.column.header}
            )
        elif self.cell:
            parts.append(gettext("单元格 %(cell)s") % {"cell": self.cell})
        return " ".join(parts)

    def __str__(self) -> str:
        return gettext("%(where)s：%(message)s") % {
            "where": self.where,
            "message": self.message,
        }


class ImportRefused(Exception):
    """The file cannot be imported at all; ``errors`` say where and why."""

    def __init__(self, errors: list[CellError]):
        super().__init__(gettext("；").join(str(error) for error in errors))
        self.errors = errors


@dataclass(frozen=True)
class CellChange:
    """What one cell will change: before → after, as the clerk reads them."""

    column: TemplateColumn
    before: str
    after: str


@dataclass
class RowChange:
    row: int
    record: YearRecord
    changes: list[CellChange]


@dataclass
class ImportResult:
    """What an import found (and, when ``committed``, saved)."""

    year: int | None = None
    rows_read: int = 0
    changed: list[RowChange] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def cell_count(self) -> int:
        return sum(len(row.changes) for row in self.changed)


# --- The file, before any spreadsheet code reads it ---------------------------------


def _refused(message: str) -> ImportRefused:
    return ImportRefused([CellError(message)])


def file_check(file: IO[bytes], *, size: int | None = None) -> None:
    """Refuse oversized, non-xlsx and zip-bomb files without parsing them."""
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    if size > MAX_UPLOAD_BYTES:
        raise _refused(
            gettext(
                "文件过大（%(size)s），上限为 %(limit)s；请只上传系统下载的填报模板。"
            )
            % {"size": _mb(size), "limit": _mb(MAX_UPLOAD_BYTES)}
        )
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(OLE_MAGIC):
        raise _refused(
            gettext("这是旧版 .xls 格式文件；请在 Excel/WPS 中另存为 .xlsx 后再导入。")
        )
    if not head.startswith(ZIP_MAGIC):
        raise _refused(
            gettext("不是 Excel 工作簿（.xlsx）文件；请上传系统下载并填写的模板。")
        )
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            _members_check(members)
    except zipfile.BadZipFile as exc:
        raise _refused(
            gettext("文件已损坏，无法作为 .xlsx 打开；请重新保存后再导入。")
        ) from exc
    finally:
        file.seek(0)
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise _refused(
            gettext(
                "压缩包不是 Excel 工作簿（缺少 xl/workbook.xml）；请上传 .xlsx 文件。"
            )
        )


def _members_check(members: list[zipfile.ZipInfo]) -> None:
    """Too many parts, too large unpacked, or one part packed too well: refused."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise _refused(
            gettext("文件内部包含 %(count)s 个部件，超出上限，已拒绝。")
            % {"count": len(members)}
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _refused(
            gettext(
                "文件解压后达 %(size)s，超过 %(limit)s 上限（疑似压缩炸弹），已拒绝。"
            )
            % {"size": _mb(total), "limit": _mb(MAX_UNCOMPRESSED_BYTES)}
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
            raise _refused(
                gettext(
                    "文件部件 %(name)s 压缩比异常（%(ratio).0f 倍，疑似压缩炸弹），"
                    "已拒绝。"
                )
                % {"name": member.filename, "ratio": ratio}
            )


# --- The sheet: template shape, merged cells, formulas -----------------------------


@dataclass
class SheetRow:
    row: int
    cells: dict[str, Any]  # column name → openpyxl cell


def _clean_header(value: Any) -> str:
    return "".join(str(value or "").split()).replace(IDEOGRAPHIC_SPACE, "")


def sheet_read(file: IO[bytes]) -> list[SheetRow]:
    """The template's data rows, after refusing a sheet of the wrong shape.

    The workbook is loaded in full (not read-only) because merged cells and
    data types are needed; ``file_check`` has bounded its size already. The
    headers are checked first: on a sheet that is not the template, the other
    checks would only add noise.
    """
    ws = _template_sheet(file)
    for check in (_header_errors, _content_errors):
        errors = check(ws)
        if errors:
            raise ImportRefused(errors)
    return _data_rows(ws)


def _template_sheet(file: IO[bytes]):
    """The template's sheet of the workbook; refused if unreadable or missing."""
    try:
        workbook = load_workbook(file, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on broken parts
        raise _refused(
            gettext("无法读取该 Excel 文件（%(kind)s）；请另存为 .xlsx 后重试。")
            % {"kind": type(exc).__name__}
        ) from exc
    if TEMPLATE_SHEET not in workbook.sheetnames:
        raise _refused(
            gettext(
                "找不到工作表“%(sheet)s”：这不是本系统下载的年度填报模板"
                "（该文件的工作表：%(sheets)s）。"
            )
            % {
                "sheet": TEMPLATE_SHEET,
                "sheets": gettext("、").join(workbook.sheetnames),
            }
        )
    return workbook[TEMPLATE_SHEET]


def _header_errors(ws) -> list[CellError]:
    """A header renamed, moved or missing, cell by cell."""
    errors = []
    for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index)
        if _clean_header(cell.value) != _clean_header(column.header):
            found = cell.value if cell.value not in (None, "") else gettext("空白")
            errors.append(
                CellError(
                    gettext(
                        "表头应为“%(header)s”，实为“%(found)s”：请使用系统下载的模板，"
                        "不要增删、移动或改名表头。"
                    )
                    % {"header": column.header, "found": found},
                    cell=cell.coordinate,
                )
            )
    return errors


def _content_errors(ws) -> list[CellError]:
    """Merged cells below the title, too many rows, formulas anywhere."""
    errors = []
    for merged in ws.merged_cells.ranges:
        if merged.max_row > TITLE_ROW:
            errors.append(
                CellError(
                    gettext("单元格 %(cell)s 被合并；请取消合并，每行每列各填一个值。")
                    % {"cell": merged.coord},
                    cell=merged.coord,
                )
            )
    if ws.max_row - HEADER_ROW > MAX_ROWS:
        errors.append(
            CellError(
                gettext("数据超过 %(rows)s 行，不是本系统的填报模板。")
                % {"rows": MAX_ROWS}
            )
        )
    formulas = [
        cell.coordinate
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row)
        for cell in row
        if cell.data_type == "f"
    ]
    if formulas:
        shown = gettext("、").join(formulas[:20])
        shown += gettext("等") if len(formulas) > 20 else ""
        errors.append(
            CellError(
                gettext(
                    "单元格 %(cells)s 含有公式；请复制后“选择性粘贴—数值”，"
                    "把公式换成数值再导入。"
                )
                % {"cells": shown},
                cell=formulas[0],
            )
        )
    return errors


def _data_rows(ws) -> list[SheetRow]:
    """The rows below the headers that hold anything; refused if anything is typed
    right of the template's columns."""
    errors: list[CellError] = []
    rows = []
    width = len(TEMPLATE_COLUMNS)
    for cells in ws.iter_rows(min_row=FIRST_DATA_ROW, max_row=ws.max_row):
        by_name = {
            column.name: cells[index] for index, column in enumerate(TEMPLATE_COLUMNS)
        }
        extra = [c for c in cells[width:] if _blank(c.value) is not None]
        if all(_blank(c.value) is None for c in cells[:width]) and not extra:
            continue
        for cell in extra:
            errors.append(
                CellError(
                    gettext("模板之外的列（%(column)s）有内容，请删除后再导入。")
                    % {"column": cell.column_letter},
                    cell=cell.coordinate,
                )
            )
        rows.append(SheetRow(cells[0].row, by_name))
    if errors:
        raise ImportRefused(errors)
    return rows


# --- The import --------------------------------------------------------------------


def _service_errors(exc: Exception, row: int) -> list[CellError]:
    """A service's refusal as errors on the row's columns."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        found = []
        for name, messages in exc.message_dict.items():
            column = FIELD_COLUMN.get(name) or (
                COLUMNS_BY_NAME["reason"] if name == "reason" else None
            )
            found += [CellError(m, row=row, column=column) for m in messages]
        return found
    if isinstance(exc, ValidationError):
        return [CellError(m, row=row) for m in exc.messages]
    if isinstance(exc, TransitionNotAllowed):
        return [CellError(exc.message, row=row, column=COLUMNS_BY_NAME["state"])]
    if isinstance(exc, services.StaleWrite):
        return [CellError(str(exc), row=row, column=COLUMNS_BY_NAME["key"])]
    return [CellError(str(exc), row=row)]


def year_records_import(
    *, file: IO[bytes], actor: Actor, commit: bool, filename: str = ""
) -> ImportResult:
    """Validate every row of an uploaded template; save only if all are valid.

    With ``commit=False`` (the preview) the same run happens and is rolled back,
    so the preview shows exactly what a commit would do. Raises ``ImportRefused``
    for a file that cannot be read as the template at all.
    """
    file_check(file)
    rows = sheet_read(file)
    result = ImportResult(rows_read=len(rows))
    keys: dict[int, tuple[str, int, int]] = {}
    for sheet_row in rows:
        key = parse_template_key(text_parse(sheet_row.cells["key"]))
        if key is None:
            result.errors.append(
                CellError(
                    gettext(
                        "缺少或无效的校验键：请勿在模板中插入行或改动 A 列；"
                        "新增项目请联系管理员。"
                    ),
                    row=sheet_row.row,
                    column=COLUMNS_BY_NAME["key"],
                )
            )
            continue
        keys[sheet_row.row] = key
    years = {year for _, year, _ in keys.values()}
    if len(years) > 1:
        result.errors.append(
            CellError(
                gettext("同一文件包含多个年度（%(years)s），请分年导入。")
                % {"years": gettext("、").join(map(str, sorted(years)))}
            )
        )
        return result
    if not keys:
        if not result.errors:
            result.errors.append(CellError(gettext("模板中没有任何项目行。")))
        return result
    result.year = year = years.pop()
    seen: dict[str, int] = {}
    for row, (code, _, _) in keys.items():
        if code in seen:
            result.errors.append(
                CellError(
                    gettext("项目 %(code)s 与第%(row)s行重复。")
                    % {"code": code, "row": seen[code]},
                    row=row,
                    column=COLUMNS_BY_NAME["key"],
                )
            )
        seen.setdefault(code, row)
    scope = user_scope(actor) if not isinstance(actor, str) else None
    source = gettext("Excel导入")
    if filename:
        source += gettext("（%(name)s）") % {"name": filename}
    with transaction.atomic():
        records = {
            r.project.code: r
            for r in YearRecord.objects.select_related("project").filter(
                year=year, project__code__in=[code for code, _, _ in keys.values()]
            )
        }
        for sheet_row in rows:
            if sheet_row.row not in keys:
                continue
            _import_row(
                sheet_row, keys[sheet_row.row], records, scope, actor, source, result
            )
        if result.errors or not commit:
            transaction.set_rollback(True)
        else:
            result.committed = True
    return result


def _import_row(sheet_row, key, records, scope, actor, source, result) -> None:
    """Check one row and save it through the year-record service.

    A refused row adds its errors to ``result`` and saves nothing; the caller
    rolls everything back if any row was refused.
    """
    row = sheet_row.row
    _code, _year, version = key
    record = _row_record(sheet_row, key, records, scope, result)
    if record is None:
        return
    parsed = _row_changes(sheet_row, record, result)
    if parsed is None:
        return
    data, changes = parsed
    if not data:
        return
    reason = text_parse(sheet_row.cells["reason"])
    refusal = _row_refusal(row, record, data, version, reason)
    if refusal is not None:
        result.errors.append(refusal)
        return
    try:
        services.year_record_update(
            record=record,
            actor=actor,
            data=data,
            expected_version=version,
            reason=(
                gettext("%(source)s：%(reason)s") % {"source": source, "reason": reason}
                if reason
                else source
            ),
        )
    except (
        ValidationError,
        PermissionDenied,
        TransitionNotAllowed,
        services.StaleWrite,
    ) as exc:
        result.errors.extend(_service_errors(exc, row))
        return
    result.changed.append(RowChange(row, record, changes))


def _row_record(sheet_row, key, records, scope, result) -> YearRecord | None:
    """The year record a row's key names, if it exists and is in the user's scope.

    A project outside the scope gets the very words of a missing one: the import
    does not tell whether a code exists, as the API's 404 does not.
    """
    code, year, _version = key
    record = records.get(code)
    if record is None or (
        scope is not None and not scope.covers_project(record.project)
    ):
        result.errors.append(
            CellError(
                gettext("找不到项目 %(code)s 的 %(year)s 年度记录。")
                % {"code": code, "year": year},
                row=sheet_row.row,
                column=COLUMNS_BY_NAME["key"],
            )
        )
        return None
    return record


def _row_changes(
    sheet_row, record, result
) -> tuple[dict[str, Any], list[CellChange]] | None:
    """The row's values that differ from the record: (data for the service, the
    changes as shown). None, with the cells' errors in ``result``, if a cell is
    invalid."""
    data: dict[str, Any] = {}
    changes: list[CellChange] = []
    cell_errors = []
    for name, column in FIELD_COLUMN.items():
        cell = sheet_row.cells[column.name]
        try:
            if name == "phase":
                value = phase_parse(cell)
            elif column.kind in (MONEY, PERCENT):
                value = number_parse(cell, column)
            else:
                value = text_parse(cell)
        except CellInvalid as exc:
            cell_errors.append(CellError(str(exc), row=sheet_row.row, column=column))
            continue
        current = getattr(record, name)
        if not _same(name, current, value):
            data[name] = value
            changes.append(
                CellChange(column, _display(name, current), _display(name, value))
            )
    if cell_errors:
        result.errors.extend(cell_errors)
        return None
    return data, changes


def _row_refusal(row, record, data, version, reason) -> CellError | None:
    """Why a changed row cannot be saved before the service is asked, if it cannot:
    the record moved on since the download, is not editable, or a suspension or
    cancellation has no reason."""
    if record.version != version:
        return CellError(
            gettext(
                "该记录在模板下载后已被修改（下载时版本 %(version)s，当前版本 "
                "%(current)s）；请重新下载模板后填写。"
            )
            % {"version": version, "current": record.version},
            row=row,
            column=COLUMNS_BY_NAME["key"],
        )
    if not review.is_editable(record):
        return CellError(
            review.not_editable_error(record).message,
            row=row,
            column=COLUMNS_BY_NAME["state"],
        )
    if data.get("phase") in workflow.PHASES_NEEDING_REASON and not reason:
        return CellError(
            gettext("阶段改为停缓建或取消时须填写原因。"),
            row=row,
            column=COLUMNS_BY_NAME["reason"],
        )
    return None
