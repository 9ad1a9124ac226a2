"""Statistic periods: how they are written, their days, 序时进度, the one before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.reporting.periods import period_parse
from projects.reporting.statistics import statistics_build
from tests.factories import ProjectFactory, YearRecordFactory


@pytest.mark.parametrize(
    ("key", "start", "end", "schedule", "previous", "label"),
    [
        ("2026-11", "2026-11-01", "2026-11-30", 11, "2026-10", "2026年11月"),
        ("2026-1", "2026-01-01", "2026-01-31", 1, "2025-12", "2026年1月"),
        ("2026-Q4", "2026-10-01", "2026-12-31", 12, "2026-Q3", "2026年第四季度"),
        ("2026-q1", "2026-01-01", "2026-03-31", 3, "2025-Q4", "2026年第一季度"),
        ("2026", "2026-01-01", "2026-12-31", 12, "2025", "2026年"),
    ],
)
def test_periods(key, start, end, schedule, previous, label):
    period = period_parse(key)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)
    assert period.schedule == schedule
    assert period.previous().key == previous
    assert period.label == label


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "26", "2026-11-01", "abc"])
def test_bad_periods_are_refused(key):
    with pytest.raises(ValidationError):
        period_parse(key)


def test_default_is_the_last_full_month():
    assert period_parse(None, today=dt.date(2026, 1, 10)).key == "2025-12"


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_projects(plan):
    period = period_parse("2026-11")
    with CaptureQueriesContext(connection) as before:
        statistics_build(plan, period, today=dt.date(2026, 12, 2))
    for _ in range(20):
        YearRecordFactory(project=ProjectFactory(), year=2026)
    with CaptureQueriesContext(connection) as after:
        statistics_build(plan, period, today=dt.date(2026, 12, 2))
    assert len(after) == len(before)
