"""Shared fixtures: the plan is loaded once per test database, users per role."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from tests.callers import (  # noqa: F401 (fixtures for every test)
    _fresh_throttle,
    anonymous,
    bazhou_reader,
    bazhou_writer,
    reader,
    supervisor_writer,
    writer,
)
from tests.factories import UserFactory

LOAD_DAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real plan once into the test database; each test rolls back."""
    with django_db_blocker.unblock():
        _plan_loaded()


def _plan_loaded() -> None:
    from projects.bootstrap.plan_loader import plan_load

    plan_load(today=LOAD_DAY)
    call_command("create_demo_accounts", stdout=StringIO())


@pytest.fixture(scope="module")
def plan_restored_afterwards(django_db_blocker):
    """For tests with a live server, which need committed data: the test's
    database is flushed after each of them, so the plan is loaded again
    (idempotent) for whatever runs next. Module scope: the reload comes after
    the last flush of the module, not before it."""
    yield
    with django_db_blocker.unblock():
        _plan_loaded()


@pytest.fixture
def plan(db):
    from portfolio.models import Plan

    return Plan.objects.get(code="bazhong-14th-service")


@pytest.fixture
def clerk_bazhou(db):
    return UserFactory.clerk(["bazhou-gov"], username="t-clerk-bazhou")


@pytest.fixture
def clerk_education(db):
    return UserFactory.clerk(["education-bureau"], username="t-clerk-edu")


@pytest.fixture
def supervisor(db):
    return UserFactory.supervisor(username="t-supervisor")


@pytest.fixture
def district_supervisor(db):
    return UserFactory.supervisor(["nanjiang-gov"], username="t-supervisor-nj")


@pytest.fixture
def administrator(db):
    return UserFactory.administrator(username="t-admin")
