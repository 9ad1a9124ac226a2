"""Hostile files: each gets a clear Chinese message and the database stays as it was."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from projects.choices import Phase
from projects.exchange import importing
from projects.exchange.models import ImportPreview
from projects.models import Project, YearRecord
from tests.exchange.helpers import (
    cell,
    commit,
    database_state,
    import_errors,
    preview,
    row_of,
    sheet,
    template_download,
    to_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def code():
    return (
        Project.objects.filter(district__code="bazhou")
        .order_by("table", "number")
        .values_list("code", flat=True)
        .first()
    )


@pytest.fixture
def logged_in(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    return client


def refused_at_upload(client, content: bytes, name: str = "进展.xlsx") -> str:
    """Upload a file the first check refuses: the upload page shows why."""
    before = database_state()
    kept = ImportPreview.objects.count()
    response, token = upload(client, content, name)
    assert token is None, "the file should not have been kept"
    assert response.status_code == 200
    assert database_state() == before
    assert ImportPreview.objects.count() == kept  # nothing was kept
    page = response.content.decode()
    assert "文件未能导入，系统中的数据没有任何改动" in page
    return page


def refused_at_preview(client, content: bytes) -> list[tuple[str, str]]:
    """Upload a file refused on reading: the preview lists why; commit saves nothing."""
    before = database_state()
    _, token = upload(client, content)
    assert token
    page = preview(client, token)
    assert "未保存任何数据" in page.content.decode()
    assert "确认导入" not in page.content.decode()
    commit(client, token)
    assert database_state() == before
    errors = import_errors(page)
    assert errors
    return errors


def test_wrong_template_renamed_header(logged_in):
    workbook = template_download(logged_in)
    sheet(workbook)["J2"] = "完成投资"
    errors = refused_at_preview(logged_in, to_bytes(workbook))
    assert errors == [
        (
            "单元格 J2",
            "表头应为“完成投资（万元）”，实为“完成投资”：请使用系统下载的模板，"
            "不要增删、移动或改名表头。",
        )
    ]


def test_wrong_template_missing_column(logged_in):
    workbook = template_download(logged_in)
    sheet(workbook).delete_cols(9)  # 计划投资 removed: everything after moves left
    errors = refused_at_preview(logged_in, to_bytes(workbook))
    assert errors[0][0] == "单元格 I2"
    assert "表头应为“计划投资（万元）”，实为“完成投资（万元）”" in errors[0][1]


def test_wrong_template_another_workbook(logged_in):
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    workbook.active.append(["项目名称", "完成投资"])
    errors = refused_at_preview(logged_in, to_bytes(workbook))
    assert "找不到工作表“年度填报”：这不是本系统下载的年度填报模板" in errors[0][1]
    assert "Sheet1" in errors[0][1]


def test_merged_cells(logged_in, code):
    workbook = template_download(logged_in)
    ws = sheet(workbook)
    row = row_of(ws, code)
    ws.merge_cells(start_row=row, start_column=10, end_row=row + 1, end_column=10)
    errors = refused_at_preview(logged_in, to_bytes(workbook))
    assert errors == [
        (
            f"单元格 J{row}:J{row + 1}",
            f"单元格 J{row}:J{row + 1} 被合并；请取消合并，每行每列各填一个值。",
        )
    ]


def test_formulas_are_refused_naming_the_cell(logged_in, code):
    workbook = template_download(logged_in)
    ws = sheet(workbook)
    target = cell(ws, code, "actual_investment")
    target.value = "=100+200"
    errors = refused_at_preview(logged_in, to_bytes(workbook))
    assert len(errors) == 1
    where, message = errors[0]
    assert where == f"单元格 {target.coordinate}"
    assert message.startswith(f"单元格 {target.coordinate} 含有公式")


def test_dates_in_number_columns(logged_in, code):
    workbook = template_download(logged_in)
    ws = sheet(workbook)
    row = row_of(ws, code)
    # A real date (Excel turned "5-1" into one) and dates typed as text.
    cell(ws, code, "actual_investment").value = dt.datetime(2026, 5, 1)
    cell(ws, code, "planned_investment").value = "2026-05-01"
    next_code = ws.cell(row=row + 1, column=1).value.split("|")[0]
    cell(ws, next_code, "planned_investment").value = "2026年5月"
    errors = dict(refused_at_preview(logged_in, to_bytes(workbook)))
    assert (
        "单元格为日期格式（2026-05-01），应填写数字"
        in (errors[f"第{row}行 J列（完成投资（万元））"])
    )
    assert errors[f"第{row}行 I列（计划投资（万元））"] == (
        "“2026-05-01”看起来是日期，这一列应填写数字。"
    )
    assert errors[f"第{row + 1}行 I列（计划投资（万元））"] == (
        "“2026年5月”看起来是日期，这一列应填写数字。"
    )


def test_full_width_digits_and_spaces_are_normalised(logged_in, code):
    """Decision: NFKC-normalised and accepted (WPS users type them all the time)."""
    workbook = template_download(logged_in)
    ws = sheet(workbook)
    cell(ws, code, "phase").value = "　在建　"
    cell(ws, code, "planned_investment").value = "１，２００．５"
    cell(ws, code, "actual_investment").value = "　１２３　"
    cell(ws, code, "percent_complete").value = "８０％"
    cell(ws, code, "progress").value = "　完成１２３米　"
    others = database_state()
    _, token = upload(logged_in, to_bytes(workbook))
    page = preview(logged_in, token)
    assert import_errors(page) == []
    assert "1200.50" in page.content.decode()
    assert database_state() == others  # the preview saved nothing
    assert commit(logged_in, token).status_code == 302
    saved = YearRecord.objects.get(project__code=code, year=2026)
    assert saved.phase == Phase.UNDER_CONSTRUCTION
    assert saved.planned_investment == Decimal("1200.50")
    assert saved.actual_investment == Decimal("123.00")
    assert saved.percent_complete == Decimal("80.00")
    # Texts keep their full-width characters; only surrounding spaces go.
    assert saved.progress == "完成１２３米"


def test_blank_full_width_space_is_an_empty_cell(logged_in, code):
    workbook = template_download(logged_in)
    cell(sheet(workbook), code, "actual_investment").value = "　"
    before = database_state()
    _, token = upload(logged_in, to_bytes(workbook))
    assert "没有需要保存的修改" in preview(logged_in, token).content.decode()
    assert database_state() == before


def test_fifty_megabyte_file_is_refused_before_parsing(logged_in):
    page = refused_at_upload(logged_in, b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024))
    assert "文件过大（50.0 MB），上限为 5.0 MB" in page


def test_not_a_spreadsheet(logged_in):
    page = refused_at_upload(logged_in, "项目名称,完成投资\n某项目,100\n".encode())
    assert "不是 Excel 工作簿（.xlsx）文件" in page


def test_old_xls_format(logged_in):
    page = refused_at_upload(
        logged_in, importing.OLE_MAGIC + b"\0" * 4096, name="进展.xls"
    )
    assert "旧版 .xls 格式" in page


def test_corrupt_zip(logged_in):
    page = refused_at_upload(logged_in, b"PK\x03\x04" + b"garbage" * 100)
    assert "文件已损坏" in page


def test_zip_that_is_not_a_workbook(logged_in):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    page = refused_at_upload(logged_in, buffer.getvalue())
    assert "压缩包不是 Excel 工作簿" in page


def zip_bomb(member_size: int) -> bytes:
    """A small .xlsx-shaped zip whose one sheet unpacks to ``member_size`` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet_:
            chunk = b" " * (1024 * 1024)
            for _ in range(member_size // len(chunk)):
                sheet_.write(chunk)
    return buffer.getvalue()


def test_xlsx_bomb_over_the_unpacked_limit(logged_in):
    content = zip_bomb(60 * 1024 * 1024)
    assert len(content) < 1024 * 1024  # small on disk, huge unpacked
    page = refused_at_upload(logged_in, content)
    assert "疑似压缩炸弹" in page and "超过 50.0 MB 上限" in page


def test_xlsx_bomb_by_compression_ratio(logged_in):
    page = refused_at_upload(logged_in, zip_bomb(8 * 1024 * 1024))
    assert "压缩比异常" in page and "疑似压缩炸弹" in page


def test_columns_outside_the_template(logged_in, code):
    workbook = template_download(logged_in)
    ws = sheet(workbook)
    row = row_of(ws, code)
    ws.cell(row=row, column=20, value="备注：另见附件")
    errors = refused_at_preview(logged_in, to_bytes(workbook))
    assert errors == [(f"单元格 T{row}", "模板之外的列（T）有内容，请删除后再导入。")]


def test_percent_typed_with_a_percent_sign_in_excel(logged_in, code):
    """Excel stores a typed "80%" as 0.8 with a percent format: read it as 80."""
    workbook = template_download(logged_in)
    target = cell(sheet(workbook), code, "percent_complete")
    target.value = 0.8
    target.number_format = "0%"
    _, token = upload(logged_in, to_bytes(workbook))
    assert commit(logged_in, token).status_code == 302
    saved = YearRecord.objects.get(project__code=code, year=2026)
    assert saved.percent_complete == Decimal("80.00")
