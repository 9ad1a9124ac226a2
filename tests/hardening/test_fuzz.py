"""Schema fuzzing: schemathesis against the live app's OpenAPI schema.

Every operation of /api/schema/ gets generated requests (valid and invalid
parameters and bodies, real object keys mixed in), each sent with a read token
and with a write token, in-process through Django's WSGI handler. Every check
is on: no server error, status codes, content types, headers and bodies as the
schema says, authentication not ignored. Then a stateful run follows the links
schemathesis infers between operations (list → detail → actions).

Examples per operation: ``FUZZ_EXAMPLES`` (default 25, derandomized so that CI
is reproducible; ``FUZZ_RANDOM=1`` explores other inputs on each run).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter

import hypothesis
import pytest
import schemathesis
from django.test import Client
from django.utils.crypto import get_random_string
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
from projects.alerts.delivery import deadlines_scan
from projects.alerts.models import Notice
from projects.models import Project, YearRecord
from tests.callers import token_caller
from tests.hardening.conftest import figure

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
# Resources for people signed in (session), not for systems' tokens.
PEOPLE_ONLY = r"^/api/v1/(dashboard|notices)/"
RANDOM = os.environ.get("FUZZ_RANDOM", "") not in ("", "0")
SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "40"))
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
STATEFUL_STATUSES: Counter[int] = Counter()
SUCCEEDED: set[str] = set()


def _keys() -> dict[str, list]:
    """Real keys per collection path, so that generated requests reach objects."""
    return {
        "/api/v1/projects/": list(
            Project.objects.order_by("table", "number").values_list("code", flat=True)[
                :40
            ]
        ),
        "/api/v1/year-records/": list(
            YearRecord.objects.order_by(
                "project__table", "project__number", "year"
            ).values_list("pk", flat=True)[:80]
        ),
        "/api/v1/districts/": list(District.objects.values_list("code", flat=True)),
        "/api/v1/sectors/": list(Sector.objects.values_list("code", flat=True)),
        "/api/v1/clusters/": list(Cluster.objects.values_list("code", flat=True)),
        "/api/v1/departments/": list(Department.objects.values_list("code", flat=True)),
        "/api/v1/indicators/": list(Indicator.objects.values_list("code", flat=True)),
    }


@pytest.fixture
def callers(db) -> dict[str, dict[str, str]]:
    """The headers of each caller: a read token and a write token."""
    return {
        "read": {"Authorization": f"Token {token_caller('read').token}"},
        "write": {"Authorization": f"Token {token_caller('write').token}"},
        "session": {},  # the cookie comes from the auth provider
    }


@pytest.fixture
def supervisor_session(supervisor) -> tuple[str, str]:
    """A supervisor signed in: the session cookie and the CSRF token."""
    browser = Client()
    browser.force_login(supervisor)
    # The CSRF secret is the client's cookie: any 32 letters and digits will do,
    # sent back in X-CSRFToken as a browser's JavaScript would.
    return browser.cookies["sessionid"].value, get_random_string(32)


@pytest.fixture
def api_schema(in_process_wsgi, settings, supervisor, supervisor_session):
    # The fuzzer writes far faster than the write throttle allows a client.
    settings.API_THROTTLE_RATE = "1000000/minute"
    settings.API_WRITE_THROTTLE_RATE = "1000000/minute"
    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", in_process_wsgi)
    # Notices for the supervisor (years of overdue reports), so that the
    # notices' operations reach real ones.
    deadlines_scan(today=dt.date(2026, 12, 13))
    keys = _keys()
    keys["/api/v1/notices/"] = list(
        Notice.objects.filter(recipient=supervisor)
        .order_by("id")
        .values_list("pk", flat=True)[:80]
    )

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

    @loaded.auth.auth(refresh_interval=None).apply_to(path_regex=PEOPLE_ONLY)
    class SupervisorSession:
        """The dashboard and the notices are for people: a supervisor's session
        (with its CSRF token, for marking a notice read)."""

        def get(self, case, context):
            return supervisor_session

        def set(self, case, data, context):
            session, csrf = data
            case.cookies = {
                **(case.cookies or {}),
                "sessionid": session,
                "csrftoken": csrf,
            }
            case.headers = {**(case.headers or {}), "X-CSRFToken": csrf}

    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


def _settings(**extra) -> hypothesis.settings:
    extra.setdefault("max_examples", EXAMPLES)
    return hypothesis.settings(
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
        **extra,
    )


@schema.parametrize()
@_settings()
def test_every_operation_conforms_to_its_schema(case, callers):
    # People's own resources get the supervisor's session (the auth provider
    # above); everything else the read token and the write token.
    kinds = ["session"] if re.match(PEOPLE_ONLY, case.path) else ["read", "write"]
    for kind in kinds:
        response = case.call_and_validate(headers=callers[kind], checks=CHECKS)
        CASES[f"{case.operation.label} [{kind}]"] += 1
        STATUSES[response.status_code] += 1
        if response.status_code < 300:
            SUCCEEDED.add(case.operation.label)


def test_stateful_links(api_schema, callers):
    """Chains of calls along the links schemathesis infers from the schema
    (a list's codes and ids into detail, update, history and workflow actions),
    with the write token, every check on."""
    headers = callers["write"]
    steps: Counter[str] = Counter()

    class Workflow(api_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def after_call(self, response, case):
            super().after_call(response, case)
            steps[case.operation.label] += 1
            STATEFUL_STATUSES[response.status_code] += 1

        def validate_response(self, response, case, additional_checks=None, **kw):
            case.validate_response(
                response,
                checks=CHECKS,
                headers=headers,
                transport_kwargs=kw or None,
                recorder=getattr(self, "recorder", None),
            )

    Workflow.run(settings=_settings(max_examples=SCENARIOS, stateful_step_count=8))
    assert steps, "the state machine made no call"
    linked = {label for label in steps if "{" in label}
    assert linked, "no call followed a link into an object"
    figure(
        "schema fuzzing",
        f"stateful: {SCENARIOS} scenarios, {sum(steps.values())} calls over "
        f"{len(steps)} operations ({len(linked)} reached through links), 0 failures",
    )


def test_print_fuzz_figures():
    """Runs after the parametrized test in this module: the counts it made."""
    if not CASES:
        pytest.skip("the fuzz test did not run in this session")
    operations = {label.rsplit(" [", 1)[0] for label in CASES}
    figure(
        "schema fuzzing",
        f"{sum(CASES.values())} generated requests over {len(operations)} "
        f"operations × 2 tokens, read and write (dashboard and notices: a "
        f"supervisor's session; max {EXAMPLES} examples per operation), "
        "0 failures",
    )
    figure(
        "schema fuzzing",
        "statuses: " + ", ".join(f"{s}×{n}" for s, n in sorted(STATUSES.items())),
    )
    never = sorted(operations - SUCCEEDED)
    figure(
        "schema fuzzing",
        f"operations that answered 2xx at least once: {len(SUCCEEDED)}"
        f"/{len(operations)}" + (f" (not: {', '.join(never)})" if never else ""),
    )
    # Every read must have been reached for real, not only refused.
    assert not [label for label in never if label.startswith("GET")], never
