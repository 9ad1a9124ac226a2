"""Template tags of the dashboard on the admin's index page."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.translation import gettext

from portfolio.models import Plan
from projects.reporting import charts
from projects.reporting.dashboard import OVERDUE_KINDS, dashboard_build

register = template.Library()

OVERDUE_COLORS = {"report": "#c0392b", "past_end": "#e07a5f", "late_start": "#f2c14e"}


@register.simple_tag(takes_context=True)
def dashboard_for(context):
    """The dashboard of the page's user; ``?year=`` picks another year."""
    request = context["request"]
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    if not 2000 <= year <= today.year + 1:
        year = today.year
    plan = Plan.objects.filter(code=request.GET.get("plan") or "").first()
    return dashboard_build(request.user, year=year, today=today, plan=plan)


@register.simple_tag
def phase_chart(matrix, chart, title):
    return charts.stacked_bars(matrix, chart=chart, title=title)


@register.simple_tag
def state_chart(dashboard):
    return charts.state_bars(
        dashboard.reports_by_state,
        chart="reports-by-state",
        title=gettext("%(year)s年度报告审核状态") % {"year": dashboard.year},
    )


@register.simple_tag
def overdue_chart(dashboard):
    items = [
        (OVERDUE_KINDS[kind], int(figure.value), figure.url, OVERDUE_COLORS[kind])
        for kind, figure in dashboard.overdue_counts.items()
    ]
    return charts.count_bars(items, chart="overdue", title=gettext("逾期事项"))


@register.simple_tag
def investment_chart(dashboard):
    return charts.investment_bars(
        dashboard.investment,
        dashboard.investment_total,
        chart="investment-by-sector",
        title=gettext("%(year)s年计划投资与完成投资（万元）")
        % {"year": dashboard.year},
    )


@register.simple_tag
def indicator_chart(row, year):
    return charts.indicator_bars(row, year=year)


@register.filter
def money(value):
    """万元 with thousands separators and at most two decimals."""
    return charts.number_text(value) if value is not None else "—"
