"""The ranking (赛马比拼) on a hand-made case whose order is known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portfolio.models import AuditEntry
from projects.reporting.models import RankingWeights
from projects.reporting.periods import period_parse
from projects.reporting.ranking import (
    ranking_build,
    ranking_weights,
    ranking_weights_update,
)
from projects.reporting.statistics import Statistics, UnitStats, _zero

pytestmark = pytest.mark.django_db

JUNE = period_parse("2026-06")  # 序时进度 0.5


def _unit(
    code,
    *,
    started=0,
    due_start=0,
    done=0,
    planned=0,
    completed=0,
    due_end=0,
    on_time=0,
    due=0,
    dimension="district",
):
    counts = _zero()
    counts.update(
        started=started,
        due_start=due_start,
        completed_investment=Decimal(done),
        planned_investment=Decimal(planned),
        completed=completed,
        due_end=due_end,
        reports_on_time=on_time,
        reports_due=due,
    )
    return UnitStats(dimension, code, code.upper(), counts)


def _stats(plan, districts, departments=()):
    return Statistics(
        plan=plan,
        period=JUNE,
        today=dt.date(2026, 7, 10),
        total=UnitStats("all", "all", "all"),
        units={"district": list(districts), "department": list(departments)},
        reported=1,
    )


def _this_month(plan):
    return _stats(
        plan,
        [
            # 100: every rate full; investment 0.5 at 序时进度 0.5 counts as 1.
            _unit(
                "a",
                started=10,
                due_start=10,
                done=50,
                planned=100,
                completed=5,
                due_end=5,
                on_time=10,
                due=10,
            ),
            # 25×0.5 + 35×0.5 + 20×0 + 20×1 = 50
            _unit(
                "b",
                started=5,
                due_start=10,
                done=25,
                planned=100,
                completed=0,
                due_end=5,
                on_time=10,
                due=10,
            ),
            # nothing due to complete: 100×(25 + 35 + 0)/80 = 75; 2.0 capped at 1
            _unit(
                "c", started=10, due_start=10, done=100, planned=100, on_time=0, due=10
            ),
            _unit("d"),  # no projects: no score, no rank
            _unit(
                "e",
                started=5,
                due_start=10,
                done=25,
                planned=100,
                completed=0,
                due_end=5,
                on_time=10,
                due=10,
            ),  # ties with b
        ],
    )


def _last_month(plan):
    return _stats(
        plan,
        [
            _unit("b", started=10, due_start=10),
            _unit("a", started=9, due_start=10),
            _unit("c", started=1, due_start=10),
            _unit("e", started=0, due_start=10),
        ],
    )


def test_hand_made_league_in_known_order(plan):
    leagues = ranking_build(
        plan,
        JUNE,
        stats=_this_month(plan),
        before=_last_month(plan),
        weights=RankingWeights(),
    )
    districts = leagues[0]
    assert districts.key == "district"
    table = [
        (s.unit.code, s.score, s.rank, s.previous_rank, s.change)
        for s in districts.standings
    ]
    assert table == [
        ("a", Decimal("100.00"), 1, 2, 1),
        ("c", Decimal("75.00"), 2, 3, 1),
        ("b", Decimal("50.00"), 3, 1, -2),
        ("e", Decimal("50.00"), 3, 4, 1),
        ("d", None, None, None, None),
    ]
    c = districts.standings[1]
    assert [(p.name, p.rate, p.points) for p in c.parts] == [
        ("start_rate", Decimal(1), Decimal("31.25")),
        ("investment_rate", Decimal(1), Decimal("43.75")),
        ("completion_rate", None, None),
        ("on_time_rate", Decimal(0), Decimal("0.00")),
    ]
    assert sum(p.points for p in c.parts if p.points is not None) == c.score


def test_weights_change_the_order_and_are_audited(plan, administrator):
    weights = ranking_weights()
    assert weights.pk is None and weights.investment_rate == Decimal(35)
    ranking_weights_update(
        weights=weights,
        data={
            "start_rate": 0,
            "investment_rate": 0,
            "completion_rate": 0,
            "on_time_rate": 1,
        },
        actor=administrator,
    )
    weights = ranking_weights()
    assert weights.pk is not None
    leagues = ranking_build(
        plan,
        JUNE,
        stats=_this_month(plan),
        before=_last_month(plan),
        weights=weights,
    )
    order = [(s.unit.code, s.rank) for s in leagues[0].standings]
    assert order == [("a", 1), ("b", 1), ("e", 1), ("c", 4), ("d", None)]
    assert AuditEntry.objects.filter(object_repr=str(weights)).exists()


def test_weights_all_zero_are_refused(plan, administrator):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ranking_weights_update(
            weights=RankingWeights(),
            data={
                name: 0
                for name in (
                    "start_rate",
                    "investment_rate",
                    "completion_rate",
                    "on_time_rate",
                )
            },
            actor=administrator,
        )


def test_department_league_holds_city_bureaus_only(plan):
    stats = _stats(
        plan,
        [],
        [
            _unit("bazhou-gov", started=1, due_start=1, dimension="department"),
            _unit("commerce-bureau", started=1, due_start=2, dimension="department"),
        ],
    )
    leagues = ranking_build(
        plan, JUNE, stats=stats, before=stats, weights=RankingWeights()
    )
    assert [s.unit.code for s in leagues[1].standings] == ["commerce-bureau"]


def test_administrators_edit_the_weights_in_the_admin(client, administrator, plan):
    client.force_login(administrator)
    response = client.post(
        "/admin/reporting/rankingweights/add/",
        {
            "start_rate": "10",
            "investment_rate": "50",
            "completion_rate": "20",
            "on_time_rate": "20",
        },
    )
    assert response.status_code == 302
    assert ranking_weights().investment_rate == Decimal("50")
    assert AuditEntry.objects.filter(object_repr=str(ranking_weights())).exists()
