"""Reading one cell of the year-record template: numbers, text and phases.

Split from ``importing``: what a clerk may type in a cell (full-width digits,
percent signs, dates by mistake) and the message when it is not a value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext

from projects.choices import Phase
from projects.exchange.excel import PHASE_WORDS, TemplateColumn

CENT = Decimal("0.01")
_DATE_TEXT = re.compile(
    r"^\s*\d{2,4}\s*[-/.年]\s*\d{1,2}(\s*[-/.月]\s*\d{1,2}\s*日?)?\s*月?\s*$"
)
IDEOGRAPHIC_SPACE = chr(0x3000)
_SPACES = " \t\r\n\u00a0" + IDEOGRAPHIC_SPACE


class CellInvalid(Exception):
    pass


def _blank(value: Any) -> Any:
    """None for an empty cell or one holding only (full-width) spaces."""
    if isinstance(value, str) and not value.strip(_SPACES):
        return None
    return value


def number_parse(cell: Any, column: TemplateColumn) -> Decimal | None:
    """A number cell as a Decimal; full-width digits and spaces are accepted."""
    value = _blank(cell.value)
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        raise CellInvalid(
            gettext(
                "单元格为日期格式（%(date)s），应填写数字；"
                "请把单元格格式改为“常规”或“数值”后重新输入。"
            )
            % {"date": f"{value:%Y-%m-%d}"}
            if not isinstance(value, dt.time)
            else gettext("单元格为时间格式，应填写数字。")
        )
    if isinstance(value, bool):
        raise CellInvalid(gettext("应填写数字，不能是“是/否”。"))
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
        if "%" in (cell.number_format or "") and column.name == "percent_complete":
            number *= 100  # typed "80%" in Excel: stored 0.8 with a percent format
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip(_SPACES)
        if _DATE_TEXT.match(text):
            raise CellInvalid(
                gettext("“%(value)s”看起来是日期，这一列应填写数字。")
                % {"value": value}
            )
        text = text.replace(",", "").replace(" ", "")
        if column.name == "percent_complete":
            text = text.removesuffix("%")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise CellInvalid(_not_a_number(value)) from exc
        if not number.is_finite():
            raise CellInvalid(_not_a_number(value))
    # Two decimals, as stored (and as the history shows); more are refused by
    # the model's validator with its own message.
    return number.quantize(CENT) if number.as_tuple().exponent >= -2 else number


def _not_a_number(value: Any) -> str:
    return gettext("“%(value)s”不是有效的数字。") % {"value": value}


def text_parse(cell: Any) -> str:
    value = _blank(cell.value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (
            value.date().isoformat() if value.time() == dt.time() else value.isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip(_SPACES)


def phase_parse(cell: Any) -> str:
    text = text_parse(cell)
    if not text:
        return ""
    phase = PHASE_WORDS.get(unicodedata.normalize("NFKC", text).replace(" ", ""))
    if phase is None:
        raise CellInvalid(
            gettext("“%(text)s”不是有效的阶段；可填：%(words)s。")
            % {"text": text, "words": gettext("、").join(PHASE_WORDS)}
        )
    return str(phase)


def _display(name: str, value: Any) -> str:
    if value in (None, ""):
        return gettext("（空）")
    if name == "phase":
        return str(Phase(value).label)
    if isinstance(value, Decimal):
        return f"{value:f}"
    text = str(value)
    return text if len(text) <= 80 else text[:78] + gettext("……")


def _same(name: str, current: Any, new: Any) -> bool:
    if isinstance(current, Decimal) or isinstance(new, Decimal):
        if current is None or new is None:
            return current is None and new is None
        return Decimal(current) == Decimal(new)
    if name in ("progress", "problems", "next_steps"):
        return (current or "").strip(_SPACES) == (new or "")
    return (current or "") == (new or "")
