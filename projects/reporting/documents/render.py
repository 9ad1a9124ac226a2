"""Rendering a document from a Word template (docxtpl), and the refusal of a
template that fails to render, with the reason."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext as _
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage


class TemplateError(Exception):
    """A template that cannot be rendered; the message says why."""


def pct(value: Decimal | str | None) -> str:
    """A rate (0…1) as a percentage with one decimal; — when there is none."""
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.1f}%"


def money(value: Decimal | str | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


def image(template: DocxTemplate, png: bytes, width_mm: int = 150) -> InlineImage:
    return InlineImage(template, io.BytesIO(png), width=Mm(width_mm))


def render(source: bytes, context: Callable[[DocxTemplate], dict]) -> bytes:
    """The document from the template ``source`` and the context built for it."""
    try:
        template = DocxTemplate(io.BytesIO(source))
        template.render(context(template), autoescape=True)
        out = io.BytesIO()
        template.save(out)
    except Exception as exc:  # a template is the office's: any failure is theirs
        raise TemplateError(
            _("模板无法生成文档：%(reason)s")
            % {"reason": f"{type(exc).__name__}: {exc}"}
        ) from exc
    return out.getvalue()
