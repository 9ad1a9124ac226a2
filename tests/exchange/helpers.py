"""Helpers of the Excel tests: download a template, edit it, upload it, compare."""

from __future__ import annotations

import html
import io
import re

from django.urls import reverse
from openpyxl import load_workbook

from portfolio.models import AuditEntry
from projects.exchange.excel import FIRST_DATA_ROW, TEMPLATE_COLUMNS, TEMPLATE_SHEET
from projects.models import Project, YearRecord

COLUMN = {c.name: i for i, c in enumerate(TEMPLATE_COLUMNS, start=1)}


def database_state() -> dict:
    """Everything an import could touch, to prove that nothing changed."""
    return {
        "records": list(YearRecord.objects.order_by("pk").values()),
        "projects": list(Project.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
    }


def template_download(client, year: int = 2026):
    response = client.get(reverse("admin:projects_yearrecord_template"), {"year": year})
    assert response.status_code == 200, response.content[:500]
    return load_workbook(io.BytesIO(response.content))


def row_of(ws, code: str) -> int:
    for row in range(FIRST_DATA_ROW, ws.max_row + 1):
        key = ws.cell(row=row, column=1).value
        if key and key.split("|")[0] == code:
            return row
    raise AssertionError(f"{code} not in the template")


def cell(ws, code: str, name: str):
    return ws.cell(row=row_of(ws, code), column=COLUMN[name])


def to_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name: str = "进展.xlsx"):
    """Upload ``content``; return (response, token or None) of the upload step."""
    file = io.BytesIO(content)
    file.name = name
    response = client.post(reverse("admin:projects_yearrecord_import"), {"file": file})
    if response.status_code == 302:
        match = re.search(r"/import/([^/]+)/$", response["Location"])
        return response, match.group(1)
    return response, None


def preview(client, token: str):
    return client.get(reverse("admin:projects_yearrecord_import_preview", args=[token]))


def commit(client, token: str):
    return client.post(
        reverse("admin:projects_yearrecord_import_preview", args=[token]),
        {"commit": "1"},
    )


def import_errors(response) -> list[tuple[str, str]]:
    """The (place, message) rows of the preview's error table, as a user reads them."""
    page = response.content.decode()
    table = re.search(r'id="import-error-table">(.*?)</table>', page, re.S)
    if not table:
        return []
    return [
        (
            html.unescape(re.sub(r"<[^>]+>", "", where)).strip(),
            html.unescape(re.sub(r"<[^>]+>", "", what)).strip(),
        )
        for where, what in re.findall(
            r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", table.group(1), re.S
        )
    ]


def sheet(workbook):
    return workbook[TEMPLATE_SHEET]
