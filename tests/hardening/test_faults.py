"""Faults: PostgreSQL stopped and started again in the middle of a request burst.

On the private stack (its own PostgreSQL, never the machine's shared one):
eight clients read and write through gunicorn without pause; PostgreSQL is
stopped (fast shutdown: open sessions are cut), stays down for a while, and is
started again. What a client may see:

- before and after: answers as usual (200, or 412 for a stale write);
- while the database is away: a clean ``503`` in the API's JSON shape with a
  ``Retry-After`` header — never a 500, an HTML page or a dropped connection;
- once it is back: normal answers again within a second, with no manual step
  (the app reconnects by itself: CONN_HEALTH_CHECKS with CONN_MAX_AGE=60).

And a restart while the app is idle: every worker thread holds a persistent
connection that the restart has killed; the next requests must not fail on
them (CONN_HEALTH_CHECKS tests a connection before reusing it).

Redis and Celery faults (broker stopped during a submit, worker SIGKILLed mid
task, two beat processes) wait for the alerts work: docs/reliability.md.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
import requests

from tests.hardening.conftest import figure
from tests.hardening.sandbox import write_tokens

pytestmark = [pytest.mark.faults, pytest.mark.slow]

CLIENTS = 8
DOWNTIME = 3.0  # seconds PostgreSQL stays stopped
RECOVERY_GRACE = 1.0  # seconds after the start within which answers must be normal


@dataclass
class Outcome:
    started: float
    finished: float
    kind: str
    status: int | None  # None: no HTTP answer at all
    content_type: str
    retry_after: str | None
    code: str | None


def _record(session, method, url, **kwargs) -> Outcome:
    started = time.monotonic()
    kind = f"{method} {url.split('/api/v1/')[1].split('/')[0]}"
    try:
        response = session.request(method, url, timeout=30, **kwargs)
    except requests.RequestException:
        return Outcome(started, time.monotonic(), kind, None, "", None, None)
    code = None
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    if response.status_code >= 400 and is_json:
        code = response.json().get("code")
    return Outcome(
        started,
        time.monotonic(),
        kind,
        response.status_code,
        response.headers.get("Content-Type", ""),
        response.headers.get("Retry-After"),
        code,
    )


def test_postgres_restart_during_a_burst(stack):
    base = stack.web.url
    tokens = write_tokens(stack.postgres.url, CLIENTS, "故障演练")
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(index: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {tokens[index]}"
        record = f"{base}/api/v1/year-records/{index + 1}/"
        while not stop.is_set():
            batch = [
                _record(
                    session,
                    "GET",
                    f"{base}/api/v1/projects/",
                    params={"district": "bazhou", "page_size": 20},
                ),
                _record(session, "GET", f"{base}/api/v1/projects/t3-0{10 + index}/"),
                _record(session, "GET", record),
            ]
            # A write with the version just read (412 if someone moved it).
            detail = (
                session.get(record, timeout=30) if batch[-1].status == 200 else None
            )
            if detail is not None and detail.status_code == 200:
                batch.append(
                    _record(
                        session,
                        "PATCH",
                        record,
                        json={"progress": f"故障演练 {time.monotonic():.3f}"},
                        headers={"If-Match": detail.headers["ETag"]},
                    )
                )
            with lock:
                outcomes.extend(batch)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    postgres = stack.postgres
    try:
        time.sleep(2.0)
        down_at = time.monotonic()
        postgres.stop("fast")
        time.sleep(DOWNTIME)
        postgres.start()
        up_at = time.monotonic()
        time.sleep(RECOVERY_GRACE + 3.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        if not postgres.is_up():
            postgres.start()  # whatever failed above, leave the stack usable

    before = [o for o in outcomes if o.finished < down_at]
    during = [o for o in outcomes if down_at <= o.started < up_at]
    after = [o for o in outcomes if o.started >= up_at + RECOVERY_GRACE]
    statuses = Counter(o.status for o in outcomes)

    # Every request got an HTTP answer; none was a server error.
    assert None not in statuses, "a request got no HTTP answer"
    assert not [o for o in outcomes if o.status == 500]
    # Normal answers: 200, or 412 for a write that lost a race.
    normal = {200, 412}
    assert before and {o.status for o in before} <= normal
    # While the database was away: clean JSON 503s with Retry-After.
    unavailable = [o for o in outcomes if o.status == 503]
    assert unavailable, "the restart was not seen: no 503 during the downtime"
    for o in unavailable:
        assert o.content_type.startswith("application/json"), o
        assert o.code == "service_unavailable", o
        assert o.retry_after and int(o.retry_after) > 0, o
    assert {o.status for o in outcomes} <= normal | {503}
    # Recovery with no manual step.
    assert after, "no request after the recovery"
    assert {o.status for o in after} <= normal, Counter(o.status for o in after)
    first_ok = min(
        (o.started for o in outcomes if o.started >= up_at and o.status == 200),
        default=None,
    )
    assert first_ok is not None
    # The stack is usable: a fresh write goes through.
    session = requests.Session()
    session.headers["Authorization"] = f"Token {tokens[0]}"
    record = f"{base}/api/v1/year-records/{CLIENTS + 1}/"
    etag = session.get(record, timeout=30).headers["ETag"]
    response = session.patch(
        record,
        json={"progress": "数据库重启之后"},
        headers={"If-Match": etag},
        timeout=30,
    )
    assert response.status_code == 200, response.text

    figure(
        "faults",
        f"PostgreSQL stopped for {DOWNTIME:.0f} s under {CLIENTS} clients: "
        f"{len(outcomes)} requests — "
        + ", ".join(f"{s}×{n}" for s, n in sorted(statuses.items()))
        + "; 0 server errors, 0 dropped connections",
    )
    figure(
        "faults",
        f"503s (JSON, Retry-After): {len(unavailable)} "
        f"({len([o for o in during if o.status == 503])} while down); first 200 "
        f"{(first_ok - up_at) * 1000:.0f} ms after the start; "
        f"{len(after)} requests after it all normal",
    )


def test_postgres_restart_while_idle_costs_no_request(stack):
    """Persistent connections killed by a restart are replaced, not used."""
    base = stack.web.url
    tokens = write_tokens(stack.postgres.url, 1, "空闲重启")
    session = requests.Session()
    session.headers["Authorization"] = f"Token {tokens[0]}"

    def burst() -> Counter:
        # Enough parallel requests to touch every worker thread's connection.
        statuses: Counter = Counter()
        lock = threading.Lock()

        def one(_):
            for _ in range(5):
                status = _record(session, "GET", f"{base}/api/v1/districts/").status
                with lock:
                    statuses[status] += 1

        threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return statuses

    assert set(burst()) == {200}  # every thread now holds a connection
    postgres = stack.postgres
    try:
        postgres.stop("fast")
    finally:
        postgres.start()
    after = burst()
    assert after == Counter({200: 100}), after
    figure(
        "faults",
        "PostgreSQL restarted while idle (every worker thread's persistent "
        f"connection killed): the next {sum(after.values())} requests all 200",
    )
