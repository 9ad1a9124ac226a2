"""The statistics and the ranking as plain JSON: what the API answers, what the
dashboard and the documents show. Every count carries the URL of the list of
projects behind it (``/api/v1/statistics/items/``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from .ranking import League
from .statistics import COUNTS, MONEY, RATES, Statistics, UnitStats


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def items_url(stats: Statistics, unit: str, figure: str) -> str:
    """The API list of the projects behind one count of one unit."""
    query = {
        "plan": stats.plan.code,
        "period": stats.period.key,
        "unit": unit,
        "figure": figure,
        "today": stats.today.isoformat(),
    }
    return f"{reverse('api-statistics-items')}?{urlencode(query)}"


def unit_summary(stats: Statistics, unit: UnitStats, absolute=None) -> dict[str, Any]:
    absolute = absolute or (lambda url: url)
    counts = {}
    for name in COUNTS:
        value = unit.counts[name]
        counts[name] = {
            "value": str(value) if name in MONEY else value,
            "url": absolute(items_url(stats, unit.key, name)),
        }
    rates = {}
    for name, (_label, top, bottom) in RATES.items():
        rates[name] = {
            "value": _text(unit.rate(name)),
            "numerator": str(unit.part(top)),
            "denominator": str(unit.part(bottom)),
        }
    return {
        "key": unit.key,
        "code": unit.code,
        "name": unit.name,
        "counts": counts,
        "rates": rates,
        "average_solve_days": _text(unit.average_solve_days),
    }


def ranking_summary(leagues: list[League]) -> list[dict[str, Any]]:
    return [
        {
            "league": league.key,
            "label": league.label,
            "standings": [
                {
                    "code": s.unit.code,
                    "name": s.unit.name,
                    "score": _text(s.score),
                    "rank": s.rank,
                    "previous_rank": s.previous_rank,
                    "change": s.change,
                    "parts": [
                        {
                            "name": p.name,
                            "label": p.label,
                            "rate": _text(p.rate),
                            "weight": str(p.weight),
                            "points": _text(p.points),
                        }
                        for p in s.parts
                    ],
                }
                for s in league.standings
            ],
        }
        for league in leagues
    ]


def statistics_summary(
    stats: Statistics, leagues: list[League], absolute=None
) -> dict[str, Any]:
    """The statistics of one plan and period with the ranking, as JSON."""
    period = stats.period
    return {
        "plan": stats.plan.code,
        "period": {
            "key": period.key,
            "kind": period.kind,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "today": stats.today.isoformat(),
        "schedule": str(stats.schedule),
        "reported": stats.reported,
        "total": unit_summary(stats, stats.total, absolute),
        "units": {
            dimension: [unit_summary(stats, u, absolute) for u in units]
            for dimension, units in stats.units.items()
        },
        "ranking": ranking_summary(leagues),
    }


# Reports and updates together (按时报送率's numerator and denominator).
COMBINED = ("due", "on_time")


def _fact(facts: dict, figure: str):
    if figure in COMBINED:
        return facts[f"reports_{figure}"] + facts[f"updates_{figure}"]
    return facts[figure]


def items_of(stats: Statistics, unit: str, figure: str) -> list[dict[str, Any]] | None:
    """The projects behind one count: each with what it adds. None: no such
    unit or figure."""
    members = stats.members.get(unit)
    if members is None or figure not in (*COUNTS, *COMBINED):
        return None
    from projects.models import Project

    values = {pid: _fact(stats.facts[pid], figure) for pid in members}
    ids = [pid for pid, value in values.items() if value]
    rows = []
    for project in Project.objects.filter(pk__in=ids).order_by(
        "plan", "table", "number"
    ):
        value = values[project.pk]
        rows.append(
            {
                "code": project.code,
                "reference": project.reference,
                "name": project.name,
                "value": str(value) if figure in MONEY else int(value),
            }
        )
    return rows
