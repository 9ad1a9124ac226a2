"""The documents' charts as PNG images (matplotlib, Agg backend).

A CJK font is looked for among the installed ones (文泉驿, Noto CJK, 思源…);
without one the charts still render, with the labels as the font can draw them.
"""

from __future__ import annotations

import io
import logging
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

logger = logging.getLogger(__name__)

CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
)
PHASE_COLORS = {
    "preparing": "#9aa5b1",
    "under_construction": "#2e86de",
    "completed": "#27ae60",
    "in_operation": "#1e8449",
    "suspended": "#e67e22",
    "cancelled": "#7f8c8d",
    "": "#d5d8dc",
}
_font: list[str] = []


def cjk_font() -> str | None:
    """The first installed CJK font, once; None when there is none."""
    if not _font:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        found = next((name for name in CJK_FONTS if name in installed), "")
        if not found:
            logger.warning("No CJK font found: chart labels may not show Chinese.")
        _font.append(found)
    return _font[0] or None


def _figure(width: float = 6.3, height: float = 3.2) -> Figure:
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return Figure(figsize=(width, height), dpi=150)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def investment_chart(
    rows: list[tuple[str, Decimal | None]], schedule: Decimal, title: str
) -> bytes:
    """Investment completion (%) by unit, against the 序时进度 line."""
    figure = _figure()
    axes = figure.add_subplot()
    labels = [name for name, _rate in rows]
    values = [float(rate * 100) if rate is not None else 0.0 for _n, rate in rows]
    bars = axes.bar(labels, values, color="#2e86de")
    for bar, (_name, rate) in zip(bars, rows, strict=True):
        text = "—" if rate is None else f"{float(rate * 100):.1f}%"
        axes.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    axes.axhline(float(schedule * 100), color="#c0392b", linestyle="--", linewidth=1)
    axes.set_ylabel("%")
    axes.set_title(title, fontsize=10)
    axes.tick_params(axis="x", labelsize=8)
    return _png(figure)


def phase_chart(
    tables: list[str], phases: list[tuple[str, str]], counts: dict, title: str
) -> bytes:
    """Projects by phase (stacked) for each table. ``counts[(table, phase)]``."""
    figure = _figure()
    axes = figure.add_subplot()
    bottom = [0] * len(tables)
    for code, label in phases:
        values = [counts.get((table, code), 0) for table in tables]
        axes.bar(
            tables,
            values,
            bottom=bottom,
            label=label,
            color=PHASE_COLORS.get(code, "#999999"),
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7, ncol=4, loc="upper right")
    axes.tick_params(axis="x", labelsize=8)
    return _png(figure)
