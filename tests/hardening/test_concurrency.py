"""Twenty writers update the same year record at once, through the API.

Against gunicorn (2 workers × 10 threads) on PostgreSQL (the private stack),
each writer with its own write token and the ``ETag`` it read, sent back as
``If-Match``:

- in lockstep rounds (all read the same version, then all write at once):
  exactly one write wins per version, the 19 others get 412 naming the new
  version;
- free-running (each writer reads and writes as fast as it can): every success
  moved the version by exactly one, no two successes share a version.

Either way no update is lost or half-applied: the history has one row per
successful write, the version moved once per success, and the record holds
exactly the fields of the last winner (each writer sends a consistent triple).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests

from tests.hardening.conftest import figure
from tests.hardening.sandbox import write_tokens

WRITERS = 20
ROUNDS = 5
FREE_ATTEMPTS = 5

pytestmark = pytest.mark.slow


def _payload(writer: int, attempt: int) -> dict:
    """Three fields that must travel together: a half-applied write shows."""
    return {
        "progress": f"写入者{writer:02d}-第{attempt}次",
        "percent_complete": f"{writer * 4 + attempt}.00",
        "actual_investment": f"{1000 + 100 * writer + attempt}.00",
    }


def _state(record: dict) -> dict:
    return {name: record[name] for name in ("progress", "percent_complete")} | {
        "actual_investment": record["actual_investment"]
    }


def _version_of(etag: str) -> int:
    """The record's version from its ETag, ``"<version>-<digest of what is shown>"``."""
    return int(etag.strip('"').split("-", 1)[0])


def _session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    return session


@pytest.fixture(scope="module")
def writers(stack):
    tokens = write_tokens(stack.postgres.url, WRITERS, "并发写入者")
    assert len(tokens) == WRITERS
    return [_session(token) for token in tokens]


@pytest.fixture(scope="module")
def record_url(stack, writers):
    listed = (
        writers[0]
        .get(
            f"{stack.web.url}/api/v1/year-records/",
            params={"project": "t1-001", "ordering": "-year", "page_size": 1},
            timeout=30,
        )
        .json()["results"][0]
    )
    assert listed["state"] == "draft"
    return f"{stack.web.url}/api/v1/year-records/{listed['id']}/"


def _history_count(session, url) -> int:
    return session.get(f"{url}history/", timeout=30).json()["count"]


def test_lockstep_rounds_one_winner_per_version(writers, record_url):
    first = writers[0].get(record_url, timeout=30)
    version0 = first.json()["version"]
    history0 = _history_count(writers[0], record_url)
    barrier = threading.Barrier(WRITERS, timeout=60)
    results: list[tuple[int, int, int, str, dict]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        session = writers[index]
        try:
            for round_ in range(ROUNDS):
                etag = session.get(record_url, timeout=30).headers["ETag"]
                barrier.wait()  # everyone has read the same version
                response = session.patch(
                    record_url,
                    json=_payload(index, round_),
                    headers={"If-Match": etag},
                    timeout=60,
                )
                with lock:
                    results.append(
                        (round_, index, response.status_code, etag, response.json())
                    )
                barrier.wait()  # the round is over before anyone reads again
        except BaseException as exc:  # reported below, with the others' results
            errors.append(exc)
            barrier.abort()

    started = time.monotonic()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert not errors, errors

    winners = {}
    for round_ in range(ROUNDS):
        in_round = [r for r in results if r[0] == round_]
        statuses = Counter(r[2] for r in in_round)
        assert statuses == {200: 1, 412: WRITERS - 1}, (round_, statuses)
        read_version = _version_of(in_round[0][3])
        assert {_version_of(r[3]) for r in in_round} == {read_version}
        assert read_version == version0 + round_
        winner = next(r for r in in_round if r[2] == 200)
        assert winner[4]["version"] == read_version + 1
        for _, _, status, _, body in in_round:
            if status == 412:
                assert body["code"] == "precondition_failed"
                assert body["current_version"] == read_version + 1
        winners[round_] = winner

    final = writers[0].get(record_url, timeout=30).json()
    assert final["version"] == version0 + ROUNDS
    assert _history_count(writers[0], record_url) - history0 == ROUNDS
    last = winners[ROUNDS - 1]
    assert _state(final) == _payload(last[1], ROUNDS - 1)
    figure(
        "concurrency",
        f"lockstep: {WRITERS} writers × {ROUNDS} rounds = {len(results)} PATCHes "
        f"in {elapsed:.1f} s: 200×{ROUNDS} (one per version), "
        f"412×{len(results) - ROUNDS}; history +{ROUNDS}, version "
        f"{version0}→{final['version']}",
    )


def test_free_running_writers_lose_nothing(writers, record_url):
    first = writers[0].get(record_url, timeout=30).json()
    version0 = first["version"]
    history0 = _history_count(writers[0], record_url)
    results: list[tuple[int, int, int, int, dict]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Event()

    def writer(index: int) -> None:
        session = writers[index]
        start.wait()
        try:
            for attempt in range(FREE_ATTEMPTS):
                etag = session.get(record_url, timeout=30).headers["ETag"]
                response = session.patch(
                    record_url,
                    json=_payload(index, attempt),
                    headers={"If-Match": etag},
                    timeout=60,
                )
                with lock:
                    results.append(
                        (
                            index,
                            attempt,
                            response.status_code,
                            int(etag.strip('"').split("-")[0]),
                            response.json(),
                        )
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    start.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert not errors, errors

    statuses = Counter(r[2] for r in results)
    assert set(statuses) <= {200, 412}, statuses
    successes = [r for r in results if r[2] == 200]
    assert successes, "no write won"
    # Each success moved the version by exactly one from the version it read…
    assert all(r[4]["version"] == r[3] + 1 for r in successes)
    # …and no two successes were made on the same version.
    versions = sorted(r[4]["version"] for r in successes)
    assert versions == list(range(version0 + 1, version0 + 1 + len(successes)))
    for r in results:
        if r[2] == 412:
            assert r[4]["current_version"] > r[3]

    final = writers[0].get(record_url, timeout=30).json()
    assert final["version"] == version0 + len(successes)
    assert _history_count(writers[0], record_url) - history0 == len(successes)
    last = max(successes, key=lambda r: r[4]["version"])
    assert _state(final) == _payload(last[0], last[1])
    figure(
        "concurrency",
        f"free-running: {WRITERS} writers × {FREE_ATTEMPTS} read-then-write = "
        f"{len(results)} PATCHes in {elapsed:.1f} s: 200×{statuses[200]}, "
        f"412×{statuses[412]}; history +{len(successes)} = successes, versions "
        f"{version0 + 1}…{final['version']} each won once",
    )
