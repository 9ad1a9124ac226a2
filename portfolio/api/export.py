"""CSV and XLSX exports of a whole filtered list (never just one page).

A viewset declares ``export_columns``: (Chinese header, key of the serialized
object, kind). Rows are produced from the same serializer as the JSON list, in
chunks, so an export never holds the whole table's objects in memory at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext

from portfolio.spreadsheets import csv_value, formula_like, xlsx_text

from .renderers import CSVRenderer, XLSXRenderer

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    header: str  # often lazy: str() it where a real str is needed
    key: str | Callable[[dict], Any]
    kind: str = "text"  # text | number | list | bool

    def value(self, row: dict) -> Any:
        raw = self.key(row) if callable(self.key) else row.get(self.key)
        if raw is None:
            return ""
        if isinstance(raw, Promise):  # a lazy label: openpyxl takes only a str
            return str(raw)
        if self.kind == "list":
            return gettext("、").join(str(v) for v in raw)
        if self.kind == "bool":
            return gettext("是") if raw else gettext("否")
        if self.kind == "number" and isinstance(raw, str):
            try:
                return Decimal(raw)
            except InvalidOperation:
                return raw
        return raw


def serialized_rows(queryset, serialize) -> Iterator[dict]:
    """Serialized objects of the whole queryset, fetched CHUNK at a time.

    ``serialize`` turns a list of objects into a list of dicts (a serializer
    with ``many=True``), so batch loading works per chunk as it does per page.
    """
    chunk = []
    for obj in queryset.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) == CHUNK:
            yield from serialize(chunk)
            chunk = []
    if chunk:
        yield from serialize(chunk)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(columns: list[Column], rows: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A BOM so that Excel opens the Chinese text as UTF-8.
    yield "\ufeff" + writer.writerow([str(c.header) for c in columns])
    for row in rows:
        # A text beginning with = + - @ is not evaluated (portfolio.spreadsheets).
        yield writer.writerow([csv_value(c.value(row)) for c in columns])


def _filename(name: str, extension: str) -> str:
    return f"{name}-{timezone.localdate():%Y%m%d}.{extension}"


def export_response(
    fmt: str, name: str, columns: list[Column], rows: Iterable[dict]
) -> HttpResponse | StreamingHttpResponse:
    if fmt == CSVRenderer.format:
        response = StreamingHttpResponse(
            _csv_lines(columns, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=name[:31])
        sheet.append([str(c.header) for c in columns])

        def cell(value):
            # A formula-like text is written as a string cell, never an <f>.
            if formula_like(value):
                return xlsx_text(WriteOnlyCell(sheet, value=value))
            return value

        for row in rows:
            sheet.append([cell(c.value(row)) for c in columns])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSXRenderer.media_type)
    extension = fmt
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(name, extension)}"'
    )
    return response
