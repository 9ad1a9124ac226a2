"""Callers of the API for every test: tokens, accounts, a clean throttle.

The fixtures are made available to every test by tests/conftest.py.
"""

from __future__ import annotations

import itertools

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from portfolio.choices import ApiScope, Role
from portfolio.credentials import api_client_create
from portfolio.models import Department

_names = itertools.count()


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """Throttle buckets live in the cache: every test starts with empty ones."""
    cache.clear()
    yield
    cache.clear()


def token_caller(
    scope: str = "read",
    departments=(),
    name: str | None = None,
    role: str = Role.CLERK,
):
    """An APIClient sending a new API client's token; ``.api_client`` is the model.

    The token acts in ``role`` (a clerk's, as ``create_api_client`` gives by
    default; ``supervisor`` or ``administrator`` only when asked for).
    """
    client, token = api_client_create(
        name=name or f"测试系统{next(_names)}",
        scope=ApiScope(scope),
        role=Role(role),
        departments=list(Department.objects.filter(code__in=departments)),
        actor="tests",
    )
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    caller.api_client = client
    caller.token = token
    return caller


def user_caller(user):
    caller = APIClient()
    caller.force_authenticate(user)
    caller.user = user
    return caller


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def reader(db):
    """A read-only token for the whole portfolio."""
    return token_caller("read")


@pytest.fixture
def writer(db):
    """A read-write token for the whole portfolio."""
    return token_caller("write")


@pytest.fixture
def supervisor_writer(db):
    """A read-write token for the whole portfolio, given the supervisor's role."""
    return token_caller("write", role=Role.SUPERVISOR)


@pytest.fixture
def bazhou_writer(db):
    """A read-write token limited to 巴州区人民政府's projects."""
    return token_caller("write", ["bazhou-gov"])


@pytest.fixture
def bazhou_reader(db):
    return token_caller("read", ["bazhou-gov"])
