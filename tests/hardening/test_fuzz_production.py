"""Schema fuzzing over HTTP against gunicorn with the production settings.

tests/hardening/test_fuzz.py fuzzes in-process, inside a test's transaction.
This run sends the generated requests over real sockets to the private stack
(tests/hardening/sandbox.py: PostgreSQL of its own, gunicorn with
``config.settings.production``, the throttle raised as for any fuzzer), so
that what only production has (its middleware order, security headers, error
pages with DEBUG off, gunicorn's own parsing) is fuzzed too. Every check is on.

Examples per operation: ``FUZZ_PRODUCTION_EXAMPLES`` (default 8, derandomized).
"""

from __future__ import annotations

import os
from collections import Counter

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck

from tests.hardening.conftest import figure
from tests.hardening.sandbox import write_tokens
from tests.hardening.test_fuzz import CHECKS, PEOPLE_ONLY

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_PRODUCTION_EXAMPLES", "8"))
STATUSES: Counter[int] = Counter()


@pytest.fixture(scope="module")
def production(stack):
    """The stack's address and a whole-portfolio write token."""
    [token] = write_tokens(stack.postgres.url, 1, "生产配置模糊测试")
    return stack.web.url, {"Authorization": f"Token {token}"}


@pytest.fixture
def production_schema(production):
    url, headers = production
    loaded = schemathesis.openapi.from_url(f"{url}/api/schema/?format=json")
    # The dashboard and the notices are for people signed in; the token's 403
    # there is covered in-process, with a supervisor's session.
    return loaded.exclude(path_regex=PEOPLE_ONLY)


schema = schemathesis.pytest.from_fixture("production_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_production_answers_what_its_schema_says(case, production):
    url, headers = production
    response = case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)
    STATUSES[response.status_code] += 1


def test_print_production_fuzz_figures():
    """Runs after the parametrized test in this module: what it sent."""
    if not STATUSES:
        pytest.skip("the production fuzz test did not run in this session")
    figure(
        "schema fuzzing, production",
        f"{sum(STATUSES.values())} requests to gunicorn (production settings), "
        "0 failures; statuses: "
        + ", ".join(f"{s}×{n}" for s, n in sorted(STATUSES.items())),
    )
