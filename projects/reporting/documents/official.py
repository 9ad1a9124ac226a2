"""Word templates in the common 公文 layout of GB/T 9704-2012, built with
python-docx: A4, margins 37/35/28/26 mm, the title in 2号 (22 pt) centred,
the body in 3号仿宋 (16 pt), headings 一、 in 黑体, （一） in 楷体, 1. in 仿宋,
page numbers "— 1 —" in 4号 at the foot of every page.

The shipped templates are built here (``docxtpl`` tags in the text); an office
may download one, change it in Word or WPS and upload its own.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .fonts import BODY_FONT, H1_FONT, H2_FONT, TITLE_FONT


def _east_asian(run_or_style, name: str) -> None:
    element = run_or_style.element if hasattr(run_or_style, "element") else None
    rpr = element.get_or_add_rPr() if element is not None else None
    if rpr is None:
        return
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:ascii"), name)
    fonts.set(qn("w:hAnsi"), name)


def _page_number(section) -> None:
    """ "— PAGE —" centred in the footer (4号, 宋体)."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, field in (("— ", None), (None, "PAGE"), (" —", None)):
        if field:
            simple = OxmlElement("w:fldSimple")
            simple.set(qn("w:instr"), field)
            run = OxmlElement("w:r")
            value = OxmlElement("w:t")
            value.text = "1"
            run.append(value)
            simple.append(run)
            paragraph._p.append(simple)
        else:
            run = paragraph.add_run(text)
            run.font.size = Pt(14)


def document() -> Document:
    """An empty A4 document in the 公文 layout."""
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(16)
    normal.font.name = BODY_FONT
    _east_asian(normal, BODY_FONT)
    normal.paragraph_format.line_spacing = Pt(28)
    _page_number(section)
    return doc


def title(doc, text: str, size: int = 22) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    _east_asian(run, TITLE_FONT)


def centred(doc, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(text)


def picture(doc, tag: str) -> None:
    """A paragraph for an image tag: centred, single-spaced (a fixed line
    height would clip the picture)."""
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing = 1.0
    paragraph.add_run(tag)


def heading(doc, text: str, level: int = 1) -> None:
    """一、 (黑体) at level 1, （一） (楷体) at 2, 1. (仿宋, bold) at 3."""
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)
    run = paragraph.add_run(text)
    _east_asian(run, {1: H1_FONT, 2: H2_FONT}.get(level, BODY_FONT))
    run.bold = level == 3


def text(doc, content: str, indent: bool = True) -> None:
    paragraph = doc.add_paragraph()
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(32)
    paragraph.add_run(content)


def tag(doc, content: str) -> None:
    """A paragraph holding only a template tag ({%p if … %}, {%p endfor %})."""
    doc.add_paragraph(content)


def loop_table(doc, headers: list[str], loop: str, cells: list[str]) -> None:
    """A table with a header row and one row repeated by docxtpl:
    ``loop`` is e.g. ``r in rows``; ``cells`` the tags of each column."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # The header row repeats at the top of every page the table runs onto.
    header_row = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_row.append(repeat)
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        run = _cell_run(cell, header)
        run.bold = True
        _east_asian(run, H1_FONT)
    table.rows[1].cells[0].text = "{%tr for " + loop + " %}"
    for cell, content in zip(table.rows[2].cells, cells, strict=True):
        _cell_run(cell, content)
    table.rows[3].cells[0].text = "{%tr endfor %}"


def _cell_run(cell, content: str):
    """A table cell's text in 五号 (10.5 pt), single-spaced: tables stay compact."""
    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing = 1.0
    paragraph.paragraph_format.first_line_indent = Pt(0)
    run = paragraph.add_run(content)
    run.font.size = Pt(10.5)
    return run


def as_bytes(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
