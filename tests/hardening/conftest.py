"""Fixtures of the hardening tests, and the figures they print at the end of a run.

Each test that measures something puts its figures in ``FIGURES``; they are
printed in pytest's terminal summary (so they show in ``make test`` and in CI
logs without ``-s``).
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

FIGURES: dict[str, list[str]] = {}


def figure(section: str, line: str) -> None:
    FIGURES.setdefault(section, []).append(line)


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("hardening figures")
    for section, lines in FIGURES.items():
        terminalreporter.write_line(f"[{section}]")
        for line in lines:
            terminalreporter.write_line(f"  {line}")


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def in_process_wsgi(db):
    """Call Django's WSGI handler directly inside the test's transaction.

    The handler closes "old" connections at the start and end of each request,
    which would close the test's connection (and its uncommitted data); Django's
    own test client disconnects that handler the same way.
    """
    from django.core.handlers.wsgi import WSGIHandler

    application = WSGIHandler()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="session")
def stack():
    """A private PostgreSQL with the plan, and gunicorn (production settings)
    in front of it: see tests/hardening/sandbox.py."""
    import os
    from types import SimpleNamespace

    from tests.hardening import sandbox

    reason = sandbox.missing()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot build the private stack on CI: {reason}")
        pytest.skip(reason)
    started = time.monotonic()
    postgres = sandbox.PrivatePostgres()
    web = None
    try:
        postgres.init()
        sandbox.manage(postgres.url, "migrate", "--no-input", "-v0")
        sandbox.manage(postgres.url, "load_plan")
        web = sandbox.Gunicorn(postgres.url)
        web.start()
        figure(
            "private stack",
            f"PostgreSQL on port {postgres.port} + gunicorn (2 workers × 10 "
            f"threads) ready in {time.monotonic() - started:.1f} s",
        )
        yield SimpleNamespace(postgres=postgres, web=web)
    finally:
        if web is not None:
            web.stop()
        postgres.destroy()
