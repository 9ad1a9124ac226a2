"""The ranking (赛马比拼): districts and city departments, two separate leagues.

Each unit's score is the weighted mean of its rates (``RankingWeights``), each
capped at 1, the investment rate taken against 序时进度 (completion ÷ schedule),
times 100. A rate with nothing due is left out and the other weights carry the
score; a unit with no rate at all has no score and no rank. Equal scores share
a rank (1, 1, 3). The change is the rank of the previous period of the same kind
minus this one: positive means the unit moved up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portfolio.choices import AuditAction, DepartmentKind
from portfolio.models import Department, Plan
from portfolio.services import Actor, audit_log, diff, snapshot

from .models import WEIGHT_FIELDS, RankingWeights
from .periods import StatPeriod
from .statistics import RATES, Statistics, UnitStats, statistics_build

LEAGUES = {
    "district": _("县区"),
    "department": _("市级部门"),
}
ONE = Decimal(1)


@dataclass(frozen=True)
class Part:
    """One rate's share of a score."""

    name: str
    label: str
    rate: Decimal | None  # the rate as it counts (capped; investment ÷ schedule)
    weight: Decimal
    points: Decimal | None  # what it adds to the score


@dataclass
class Standing:
    unit: UnitStats
    score: Decimal | None
    parts: list[Part]
    rank: int | None = None
    previous_rank: int | None = None

    @property
    def change(self) -> int | None:
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


@dataclass
class League:
    key: str
    label: str
    standings: list[Standing]


def ranking_weights() -> RankingWeights:
    """The weights in force (the defaults until an administrator saves some)."""
    return RankingWeights.objects.order_by("pk").first() or RankingWeights()


@transaction.atomic
def ranking_weights_update(
    *, weights: RankingWeights, data: dict, actor: Actor | None
) -> RankingWeights:
    """A supervisor or administrator changes the ranking's weights."""
    stored = (
        RankingWeights.objects.filter(pk=weights.pk).first() if weights.pk else None
    )
    before = snapshot(stored, list(WEIGHT_FIELDS)) if stored else {}
    for name, value in data.items():
        if name in WEIGHT_FIELDS:
            setattr(weights, name, value)
    weights.full_clean()
    created = weights.pk is None
    weights.save()
    audit_log(
        instance=weights,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        actor=actor,
        changes=diff(before, snapshot(weights, list(WEIGHT_FIELDS))),
    )
    return weights


def _counted_rate(unit: UnitStats, name: str, schedule: Decimal) -> Decimal | None:
    rate = unit.rate(name)
    if rate is None:
        return None
    if name == "investment_rate":
        rate = rate / schedule if schedule else None
        if rate is None:
            return None
    return min(rate, ONE)


def score_of(
    unit: UnitStats, weights: RankingWeights, schedule: Decimal
) -> tuple[Decimal | None, list[Part]]:
    """A unit's score (0–100, two places) and its parts."""
    rates = {name: _counted_rate(unit, name, schedule) for name in WEIGHT_FIELDS}
    total_weight = sum(
        (Decimal(getattr(weights, n)) for n, r in rates.items() if r is not None),
        Decimal(0),
    )
    parts = []
    for name in WEIGHT_FIELDS:
        weight = Decimal(getattr(weights, name))
        rate = rates[name]
        points = None
        if rate is not None and total_weight:
            points = (100 * weight * rate / total_weight).quantize(Decimal("0.01"))
        parts.append(Part(name, str(RATES[name][0]), rate, weight, points))
    if not total_weight:
        return None, parts
    score = sum((p.points for p in parts if p.points is not None), Decimal(0))
    return score, parts


def _ranked(units: list[UnitStats], weights, schedule) -> list[Standing]:
    standings = [Standing(u, *score_of(u, weights, schedule)) for u in units]
    scored = sorted(
        (s for s in standings if s.score is not None), key=lambda s: -s.score
    )
    for position, standing in enumerate(scored, start=1):
        tied = position > 1 and standing.score == scored[position - 2].score
        standing.rank = scored[position - 2].rank if tied else position
    unscored = [s for s in standings if s.score is None]
    return scored + unscored


def _league_units(stats: Statistics) -> dict[str, list[UnitStats]]:
    bureaus = set(
        Department.objects.filter(kind=DepartmentKind.MUNICIPAL_BUREAU).values_list(
            "code", flat=True
        )
    )
    return {
        "district": list(stats.units["district"]),
        "department": [u for u in stats.units["department"] if u.code in bureaus],
    }


def leagues_of(stats: Statistics, weights: RankingWeights) -> list[League]:
    """The two leagues of one period's statistics, without rank changes."""
    return [
        League(key, str(LEAGUES[key]), _ranked(units, weights, stats.schedule))
        for key, units in _league_units(stats).items()
    ]


def ranking_build(
    plan: Plan,
    period: StatPeriod,
    *,
    today: dt.date | None = None,
    stats: Statistics | None = None,
    weights: RankingWeights | None = None,
    before: Statistics | None = None,
) -> list[League]:
    """Both leagues for ``period``, each rank with its change since the
    previous period of the same kind (``before``: its statistics, if known)."""
    weights = weights or ranking_weights()
    stats = stats or statistics_build(plan, period, today=today)
    before = before or statistics_build(plan, period.previous(), today=stats.today)
    previous = {
        league.key: {s.unit.code: s.rank for s in league.standings}
        for league in leagues_of(before, weights)
    }
    leagues = leagues_of(stats, weights)
    for league in leagues:
        for standing in league.standings:
            standing.previous_rank = previous[league.key].get(standing.unit.code)
    return leagues
