"""The dispatch statistics and the ranking on the admin's index page."""

from __future__ import annotations

from django import template
from django.core.exceptions import ValidationError
from django.utils import timezone

from projects.reporting.periods import period_parse
from projects.reporting.ranking import ranking_build
from projects.reporting.scope import plan_find
from projects.reporting.statistics import DIMENSIONS, RATES, statistics_build
from projects.reporting.summary import items_url

register = template.Library()


@register.simple_tag(takes_context=True)
def dispatch_for(context):
    """The current plan's statistics for ``?period=`` (default: last month),
    with the ranking; None without a plan."""
    request = context["request"]
    plan = plan_find(None)
    if plan is None:
        return None
    today = timezone.localdate()
    try:
        period = period_parse(request.GET.get("period"), today=today)
    except ValidationError:
        period = period_parse(None, today=today)
    stats = statistics_build(plan, period, today=today)
    rows = []
    for unit in [stats.total, *stats.units["district"], *stats.units["table"]]:
        rates = []
        for name, (_label, top, bottom) in RATES.items():
            rate = unit.rate(name)
            rates.append(
                {
                    "value": None if rate is None else round(rate * 100, 1),
                    "top": unit.part(top),
                    "bottom": unit.part(bottom),
                    "url": items_url(
                        stats,
                        unit.key,
                        top if top in unit.counts else "reports_on_time",
                    ),
                }
            )
        rows.append({"unit": unit, "rates": rates})
    return {
        "stats": stats,
        "rows": rows,
        "rate_labels": [str(label) for label, _t, _b in RATES.values()],
        "schedule": round(stats.schedule * 100, 1),
        "leagues": ranking_build(plan, period, stats=stats),
        "dimensions": DIMENSIONS,
        "previous": stats.period.previous().key,
    }
