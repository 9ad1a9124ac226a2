"""Server-rendered SVG charts for the dashboard: no script, nothing from outside.

Each chart is an ``<svg>`` with ``data-chart`` (its name) and ``data-total`` (the
total it shows), so a browser test can read what a person sees; every bar or
segment is a link to the admin list behind it, with a tooltip (``<title>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from projects.reporting.dashboard import IndicatorRow, InvestmentRow, Matrix, StateCount

FONT = "'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif"
PHASE_COLORS = {
    "preparing": "#f2c14e",
    "under_construction": "#3a7ca5",
    "completed": "#81c784",
    "in_operation": "#2e7d32",
    "suspended": "#e07a5f",
    "cancelled": "#6d6d6d",
    "": "#d9d9d9",
}
STATE_COLORS = {
    "draft": "#f2c14e",
    "submitted": "#3a7ca5",
    "returned": "#e07a5f",
    "approved": "#2e7d32",
}
DARK_PHASES = {"under_construction", "in_operation", "suspended", "cancelled"}
PLANNED_COLOR, ACTUAL_COLOR = "#9fb7d3", "#2e7d32"
LABEL_WIDTH, BAR_WIDTH, END_WIDTH = 110, 500, 90
ROW, BAR = 26, 18


def _html(format_string: str, *args) -> SafeString:
    """``format_html`` that leaves numbers as numbers, so ``{:.1f}`` works."""
    return mark_safe(  # safe: every non-number argument is escaped
        format_string.format(
            *(
                a if isinstance(a, int | float | Decimal) else conditional_escape(a)
                for a in args
            )
        )
    )


def number_text(value: Decimal | int) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _svg(
    chart: str, title: str, width: int, height: int, body: SafeString, **data
) -> SafeString:
    attributes = format_html_join(
        " ", 'data-{}="{}"', ((k.replace("_", "-"), v) for k, v in data.items())
    )
    return _html(
        '<svg class="dash-chart" role="img" aria-label="{}" data-chart="{}" {} '
        'viewBox="0 0 {} {}" width="100%" style="max-width:{}px" '
        'xmlns="http://www.w3.org/2000/svg" font-family="{}" font-size="12">'
        "<title>{}</title>{}</svg>",
        title,
        chart,
        attributes,
        width,
        height,
        width,
        FONT,
        title,
        body,
    )


def _legend(items: Sequence[tuple[str, str]], y: int) -> SafeString:
    parts = []
    x = LABEL_WIDTH
    for label, color in items:
        parts.append(
            _html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}" stroke="#999" '
                'stroke-width="0.5"/><text x="{}" y="{}">{}</text>',
                x,
                y,
                color,
                x + 16,
                y + 11,
                label,
            )
        )
        x += 28 + 13 * len(label)
    return mark_safe("".join(parts))  # safe: parts are format_html output


def stacked_bars(matrix: Matrix, *, chart: str, title: str) -> SafeString:
    """One bar per row of ``matrix``, split by phase; the row total at its end."""
    largest = max((int(row.total.value) for row in matrix.rows), default=0) or 1
    scale = BAR_WIDTH / largest
    parts = []
    for index, row in enumerate(matrix.rows):
        y = 8 + index * ROW
        x = LABEL_WIDTH
        segments = []
        for (phase, phase_label), cell in zip(matrix.columns, row.cells, strict=True):
            count = int(cell.value)
            if not count:
                continue
            width = count * scale
            segments.append(
                _html(
                    '<a href="{}" class="segment" data-phase="{}" data-count="{}">'
                    '<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="{}">'
                    "<title>{}</title></rect>{}</a>",
                    cell.url,
                    phase or "none",
                    count,
                    x,
                    y,
                    width,
                    BAR,
                    PHASE_COLORS[phase],
                    gettext("%(row)s · %(phase)s：%(count)s 个项目")
                    % {"row": row.label, "phase": phase_label, "count": count},
                    _html(
                        '<text x="{:.1f}" y="{}" text-anchor="middle" fill="{}">'
                        "{}</text>",
                        x + width / 2,
                        y + 13,
                        "#fff" if phase in DARK_PHASES else "#222",
                        count,
                    )
                    if width >= 18
                    else "",
                )
            )
            x += width
        parts.append(
            _html(
                '<g class="bar" data-label="{}" data-total="{}">'
                '<a href="{}"><text x="{}" y="{}" text-anchor="end">{}</text></a>'
                '{}<a href="{}"><text class="total" x="{:.1f}" y="{}" '
                'font-weight="bold">{}</text></a></g>',
                row.label,
                row.total.value,
                row.total.url,
                LABEL_WIDTH - 6,
                y + 13,
                row.label,
                mark_safe("".join(segments)),  # safe: format_html output
                row.total.url,
                x + 6,
                y + 13,
                row.total.value,
            )
        )
    legend_y = 12 + len(matrix.rows) * ROW
    legend = _legend(
        [(label, PHASE_COLORS[phase]) for phase, label in matrix.columns], legend_y
    )
    body = _html("{}{}", mark_safe("".join(parts)), legend)  # safe: format_html output
    return _svg(
        chart,
        title,
        LABEL_WIDTH + BAR_WIDTH + END_WIDTH,
        legend_y + 22,
        body,
        total=matrix.total.value,
    )


def count_bars(
    items: Sequence[tuple[str, int, str, str]], *, chart: str, title: str
) -> SafeString:
    """Plain bars, one per item: (label, count, url, colour)."""
    largest = max((count for _, count, _, _ in items), default=0) or 1
    scale = BAR_WIDTH / largest
    parts = []
    for index, (label, count, url, color) in enumerate(items):
        y = 8 + index * ROW
        width = count * scale
        parts.append(
            _html(
                '<g class="bar" data-label="{}" data-total="{}"><a href="{}">'
                '<text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{:.1f}" height="{}" fill="{}">'
                "<title>{}</title></rect>"
                '<text class="total" x="{:.1f}" y="{}" font-weight="bold">{}</text>'
                "</a></g>",
                label,
                count,
                url,
                LABEL_WIDTH - 6,
                y + 13,
                label,
                LABEL_WIDTH,
                y,
                width,
                BAR,
                color,
                gettext("%(label)s：%(count)s") % {"label": label, "count": count},
                LABEL_WIDTH + width + 6,
                y + 13,
                count,
            )
        )
    return _svg(
        chart,
        title,
        LABEL_WIDTH + BAR_WIDTH + END_WIDTH,
        12 + len(items) * ROW,
        mark_safe("".join(parts)),  # safe: format_html output
        total=sum(count for _, count, _, _ in items),
    )


def state_bars(states: Sequence[StateCount], *, chart: str, title: str) -> SafeString:
    """The year's reports by review state, one bar each."""
    return count_bars(
        [
            (s.label, int(s.figure.value), s.figure.url, STATE_COLORS[s.state])
            for s in states
        ],
        chart=chart,
        title=title,
    )


def investment_bars(
    rows: Sequence[InvestmentRow], total: InvestmentRow, *, chart: str, title: str
) -> SafeString:
    """Planned and actual investment (万元) side by side for each sector."""
    largest = max((max(r.planned, r.actual) for r in rows), default=0) or 1
    scale = Decimal(BAR_WIDTH) / Decimal(largest)
    group = 2 * 14 + 10
    parts = []
    for index, row in enumerate(rows):
        y = 8 + index * group
        bars = []
        for offset, (kind, label, value, color) in enumerate(
            [
                ("planned", gettext("计划"), row.planned, PLANNED_COLOR),
                ("actual", gettext("完成"), row.actual, ACTUAL_COLOR),
            ]
        ):
            width = float(value * scale)
            bars.append(
                _html(
                    '<rect class="{}" x="{}" y="{}" width="{:.1f}" height="13" '
                    'fill="{}"><title>{}</title></rect>'
                    '<text x="{:.1f}" y="{}" font-size="11">{}</text>',
                    kind,
                    LABEL_WIDTH,
                    y + offset * 14,
                    width,
                    color,
                    gettext("%(row)s %(kind)s投资：%(value)s 万元")
                    % {"row": row.label, "kind": label, "value": number_text(value)},
                    LABEL_WIDTH + width + 4,
                    y + offset * 14 + 11,
                    number_text(value),
                )
            )
        parts.append(
            _html(
                '<g class="bar" data-label="{}" data-planned="{}" data-actual="{}">'
                '<a href="{}"><text x="{}" y="{}" text-anchor="end">{}</text>'
                "{}</a></g>",
                row.label,
                row.planned,
                row.actual,
                row.url,
                LABEL_WIDTH - 6,
                y + 18,
                row.label,
                mark_safe("".join(bars)),  # safe: format_html output
            )
        )
    legend_y = 12 + len(rows) * group
    legend = _legend(
        [
            (gettext("计划投资（万元）"), PLANNED_COLOR),
            (gettext("完成投资（万元）"), ACTUAL_COLOR),
        ],
        legend_y,
    )
    return _svg(
        chart,
        title,
        LABEL_WIDTH + BAR_WIDTH + END_WIDTH + 20,
        legend_y + 22,
        _html("{}{}", mark_safe("".join(parts)), legend),  # safe: format_html output
        total_planned=total.planned,
        total_actual=total.actual,
    )


def indicator_bars(row: IndicatorRow, *, year: int) -> SafeString:
    """The indicator's yearly targets as small columns; the year's one stands out."""
    width, height, top, bottom = 240, 96, 16, 20
    values = [value for _, value, _ in row.targets]
    if row.actual is not None:
        values.append(row.actual)
    largest = max(values, default=Decimal(1)) or Decimal(1)
    scale = Decimal(height - top - bottom) / largest
    step = (width - 20) / max(len(row.targets), 1)
    parts = []
    for index, (target_year, value, text) in enumerate(row.targets):
        h = float(value * scale)
        x = 10 + index * step
        current = target_year == (row.progress_year or year)
        parts.append(
            _html(
                '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                "<title>{}</title></rect>"
                '<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="10">'
                "{}</text>"
                '<text x="{:.1f}" y="{}" text-anchor="middle" font-size="10">'
                "{}</text>",
                x + 4,
                height - bottom - h,
                step - 8,
                h,
                "#3a7ca5" if current else "#b7cde0",
                gettext("%(year)s年目标：%(text)s%(unit)s")
                % {"year": target_year, "text": text, "unit": row.unit},
                x + step / 2,
                height - bottom - h - 3,
                text,
                x + step / 2,
                height - 6,
                target_year,
            )
        )
    if row.actual is not None:
        y = height - bottom - float(row.actual * scale)
        parts.append(
            _html(
                '<line class="actual" x1="6" x2="{}" y1="{:.1f}" y2="{:.1f}" '
                'stroke="#c0392b" stroke-width="2" stroke-dasharray="4 2">'
                "<title>{}</title></line>",
                width - 6,
                y,
                y,
                gettext("%(year)s年实际：%(value)s%(unit)s")
                % {
                    "year": row.progress_year,
                    "value": number_text(row.actual),
                    "unit": row.unit,
                },
            )
        )
    return _svg(
        f"indicator-{row.code}",
        gettext("%(name)s（%(unit)s）各年目标") % {"name": row.name, "unit": row.unit},
        width,
        height,
        mark_safe("".join(parts)),  # safe: format_html output
        total=len(row.targets),
    )
