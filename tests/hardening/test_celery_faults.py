"""Faults around Celery: two beats, a worker SIGKILLed mid-task, Redis stopped.

All on servers of our own: the private PostgreSQL of the hardening stack, a
private ``redis-server`` (no persistence: stopping it loses every queued task,
the harshest case), real ``celery worker`` and ``celery beat`` processes, an
SMTP server (aiosmtpd) — nothing shared with other test runs. What is checked
is what people would see: each notice in exactly one sent e-mail, each e-mail
once, nothing lost.

1. Two beat processes started by mistake, both sending the scan and the digest
   run every two seconds to two workers: no notice is created twice, no e-mail
   is sent twice (the notices' unique constraint; digests take notices under a
   row lock).
2. A worker SIGKILLed while the daily scan is inside its transaction (held there
   by a lock this test takes): nothing of it is left; the task is delivered again
   (acks late, visibility timeout) and runs to the end once; a re-run adds nothing.
3. Redis stopped while a clerk submits a report: the submit succeeds (it never
   touches the broker); the digest run that cannot reach Redis leaves its digests
   in the database (the outbox) instead of losing them; once Redis is back (empty)
   the next run sends them, each once.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import psycopg
import pytest
import requests
from celery import Celery
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerUnavailable

from tests.alerts.support import SmtpServer, Worker, wait_until
from tests.hardening.conftest import figure
from tests.hardening.sandbox import ROOT, Gunicorn, PrivateRedis, manage

pytestmark = [pytest.mark.faults, pytest.mark.slow]

VISIBILITY_TIMEOUT = 4  # seconds (production: an hour)
CLERK = ("hardening-clerk", "Hardening-Clerk-pw-2026")

SETUP_SCRIPT = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from portfolio.choices import Role
from portfolio.models import Department
from portfolio.services import profile_set_departments, role_group_ensure
user, _ = get_user_model().objects.get_or_create(
    username="{name}", defaults={{"email": "{name}@bazhong.local", "is_staff": True}}
)
user.set_password("{password}")
user.save()
user.groups.add(role_group_ensure(role=Role.CLERK))
profile_set_departments(
    user=user, departments=[Department.objects.get(code="bazhou-gov")],
    all_departments=False, actor="tests",
)
""".format(name=CLERK[0], password=CLERK[1])


class Env:
    """The private servers and what talks to them."""

    def __init__(self, stack, tmp_path):
        self.database = stack.postgres.url
        self.redis = PrivateRedis()
        self.smtp = SmtpServer()
        self.tmp = tmp_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "hardening-tests-" + "x" * 40,
            "SECURE_SSL_REDIRECT": "False",
            "DATABASE_URL": self.database,
            "CELERY_BROKER_URL": self.redis.url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "EMAIL_URL": self.smtp.url,
            "EMAIL_TIMEOUT": "10",
            "PORTFOLIO_DELIVERY_BACKOFF": "1",
            "PORTFOLIO_DELIVERY_BACKOFF_MAX": "2",
            "SITE_URL": "https://xm.bazhong.example",
        }
        self.workers: list[Worker] = []
        self.beats: list[subprocess.Popen] = []

    def worker(self) -> Worker:
        worker = Worker(self.env, self.tmp / f"w{len(self.workers)}")
        worker.log_dir.mkdir()
        self.workers.append(worker)
        return worker.start()

    def beat(self, index: int) -> subprocess.Popen:
        log = open(self.tmp / f"beat-{index}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config.celery_app", "beat"]
            + ["--loglevel=INFO", f"--pidfile={self.tmp / f'beat-{index}.pid'}"]
            + ["--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.beats.append(process)
        return process

    def beat_log(self, index: int) -> str:
        return (self.tmp / f"beat-{index}.log").read_text(errors="replace")

    def send(self, task: str, **kwargs) -> str:
        """Send a task as beat does (to the private Redis)."""
        # An explicit connection: Celery prefers the CELERY_BROKER_URL of this
        # process's environment (the test run's broker) to ``broker=``.
        app = Celery()
        with Connection(self.redis.url) as connection:
            return app.send_task(task, kwargs=kwargs, connection=connection).id

    def sql(self, query: str, params=None) -> list[tuple]:
        with psycopg.connect(self.database, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def shell(self, script: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def close(self) -> None:
        for process in self.beats:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
        for worker in self.workers:
            worker.kill()
        self.smtp.down()
        self.redis.destroy()


@pytest.fixture(scope="module")
def env(stack, tmp_path_factory):
    manage(stack.postgres.url, "create_demo_accounts")
    environment = Env(stack, tmp_path_factory.mktemp("celery"))
    # With the production settings: the password hashed as gunicorn will check it.
    environment.shell(SETUP_SCRIPT).check_returncode()
    environment.redis.start()
    environment.smtp.up()
    try:
        yield environment
    finally:
        environment.close()


# -- what people would see -----------------------------------------------------------
def duplicated_notices(env: Env) -> int:
    return len(
        env.sql(
            "SELECT 1 FROM projects_notice GROUP BY kind, content_type_id, object_id,"
            " recipient_id, period HAVING count(*) > 1"
        )
    )


def pending_digests(env: Env) -> int:
    return env.sql("SELECT count(*) FROM projects_digest WHERE status = 'pending'")[0][
        0
    ]


def assert_each_told_once(env: Env) -> dict:
    """Each sent digest arrived exactly once; each notice is in one sent digest."""
    received = env.smtp.received()
    ids = Counter(str(m["Message-ID"]) for m in received)
    assert all(n == 1 for n in ids.values()), ids.most_common(3)
    sent = env.sql(
        "SELECT count(*), coalesce(sum(item_count), 0) FROM projects_digest"
        " WHERE channel = 'email' AND status = 'sent'"
    )[0]
    assert sent[0] == len(received), (sent, len(received))
    in_mails = sum(int(m["X-Portfolio-Items"]) for m in received)
    assert in_mails == sent[1]
    undelivered = env.sql(
        "SELECT count(*) FROM projects_notice n JOIN auth_user u"
        " ON u.id = n.recipient_id WHERE u.email <> '' AND u.is_active"
        " AND n.delivered_at IS NULL AND n.resolved_at IS NULL"
    )[0][0]
    assert undelivered == 0
    assert duplicated_notices(env) == 0
    return {"mails": len(received), "notices": in_mails}


# -- 1. two beats ----------------------------------------------------------------------
SCHEDULE_SCRIPT = """
import json
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every, _ = IntervalSchedule.objects.get_or_create(every=2, period="seconds")
for name, task in [("hardening scan", "projects.tasks.deadlines_scan"),
                   ("hardening digests", "projects.tasks.digests_send")]:
    PeriodicTask.objects.update_or_create(name=name, defaults=dict(
        task=task, interval=every, kwargs=json.dumps({"today": "%s"}),
        enabled=%s))
"""


def test_two_beat_processes_send_nothing_twice(env):
    day = "2026-12-13"  # years of backlog: hundreds of notices to send
    env.shell(SCHEDULE_SCRIPT % (day, "True")).check_returncode()
    env.worker()
    env.worker()
    env.beat(1)
    env.beat(2)
    started = time.monotonic()

    def sent_by_each(name: str) -> list[int]:
        return [env.beat_log(i).count(f"Sending due task {name}") for i in (1, 2)]

    # Both beats have sent each task several times (not a fixed sleep: a slow
    # machine starts them late).
    wait_until(
        lambda: (
            min(sent_by_each("hardening scan")) >= 5
            and min(sent_by_each("hardening digests")) >= 5
        ),
        120,
        "both beats to send both tasks five times",
    )
    elapsed = time.monotonic() - started
    env.shell(SCHEDULE_SCRIPT % (day, "False")).check_returncode()
    for process in env.beats:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    wait_until(
        lambda: (
            pending_digests(env) == 0
            and env.sql("SELECT count(*) FROM projects_digest")[0][0] > 0
        ),
        90,
        "every digest to be sent",
    )
    time.sleep(3)  # tasks still queued by the beats run to the end
    sends = sent_by_each("hardening scan")
    digest_sends = sent_by_each("hardening digests")
    told = assert_each_told_once(env)
    assert told["mails"] > 3 and told["notices"] > 500
    figure(
        "celery faults",
        f"two beats for {elapsed:.0f} s: {sum(sends)} scans and {sum(digest_sends)} "
        f"digest runs sent to two workers; {told['notices']} notices in "
        f"{told['mails']} e-mails, each once; 0 duplicate notices",
    )


# -- 2. a worker killed mid-task ----------------------------------------------------
def test_worker_killed_mid_scan_runs_again_with_effects_once(env):
    for worker in env.workers:
        worker.kill()
    day = "2026-12-21"  # the 2026 reports fall due: a new kind of notice
    before = env.sql("SELECT count(*) FROM projects_notice")[0][0]
    worker = env.worker()
    # Hold the scan inside its transaction: its first write to the notices waits.
    with psycopg.connect(env.database) as lock:
        lock.execute("LOCK TABLE projects_notice IN SHARE ROW EXCLUSIVE MODE")
        task_id = env.send("projects.tasks.deadlines_scan", today=day)
        wait_until(
            lambda: (
                env.sql(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND query ILIKE %s",
                    ["%projects_notice%"],
                )[0][0]
                > 0
            ),
            60,
            "the scan to wait on the notices table",
        )
        worker.kill()  # SIGKILL: the message is neither acknowledged nor requeued
        lock.rollback()
    wait_until(
        lambda: (
            env.sql(
                "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE %s"
                " AND state <> 'idle' AND pid <> pg_backend_pid()",
                ["%projects_notice%"],
            )[0][0]
            == 0
        ),
        60,
        "the dead worker's transaction to end",
    )
    assert env.sql("SELECT count(*) FROM projects_notice")[0][0] == before
    time.sleep(VISIBILITY_TIMEOUT + 1)
    restarted = env.worker()
    wait_until(
        lambda: restarted.succeeded(task_id),
        90,
        f"the redelivered scan; log:\n{restarted.log()[-2000:]}",
    )
    after = env.sql("SELECT count(*) FROM projects_notice")[0][0]
    assert after > before
    assert f"[{task_id}] received" in worker.log()
    rerun = env.send("projects.tasks.deadlines_scan", today=day)
    wait_until(lambda: restarted.succeeded(rerun), 60, "the re-run")
    assert env.sql("SELECT count(*) FROM projects_notice")[0][0] == after
    assert duplicated_notices(env) == 0
    figure(
        "celery faults",
        f"worker SIGKILLed inside the scan's transaction: nothing left of it; "
        f"redelivered after {VISIBILITY_TIMEOUT} s, ran once: +{after - before} "
        "notices; a re-run added 0",
    )


# -- 3. Redis stopped while a clerk submits ------------------------------------------
def test_redis_down_while_a_clerk_submits(env, stack):
    web = Gunicorn(env.database, workers=1, threads=4, extra_env=env.env)
    web.start()
    try:
        _redis_down_while_a_clerk_submits(env, web)
    finally:
        web.stop()
        if env.redis.process is None:
            env.redis.start()


def _redis_down_while_a_clerk_submits(env: Env, web: Gunicorn) -> None:
    clerk = requests.Session()
    basic = base64.b64encode(f"{CLERK[0]}:{CLERK[1]}".encode()).decode()
    clerk.headers["Authorization"] = f"Basic {basic}"
    response = clerk.get(
        f"{web.url}/api/v1/year-records/",
        # The district's last project: far from the records other tests write.
        params={
            "district": "bazhou",
            "state": "draft",
            "year": 2026,
            "ordering": "-project",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    listed = response.json()["results"]
    record = listed[0]
    url = f"{web.url}/api/v1/year-records/{record['id']}/"
    sent_before = len(env.smtp.received())
    # A worker is running when Redis goes away: it has to find it again alone.
    alive = [w for w in env.workers if w.process and w.process.poll() is None]
    worker = alive[0] if alive else env.worker()

    env.redis.stop()
    with pytest.raises(BrokerUnavailable):
        env.send("projects.tasks.digests_send")  # the broker really is down
    patched = clerk.patch(
        url,
        json={"phase": "preparing", "progress": "Redis 停机时填报"},
        headers={"If-Match": f'"{record["version"]}"'},
        timeout=30,
    )
    assert patched.status_code == 200, patched.text
    submitted = clerk.post(
        f"{url}submit/", headers={"If-Match": patched.headers["ETag"]}, timeout=30
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "submitted"

    # Eleven days on, the report is waiting for review: the scan tells the
    # supervisors; the digest run cannot reach Redis to enqueue the sending.
    day = (
        dt.date.fromisoformat(submitted.json()["submitted_at"][:10])
        + dt.timedelta(days=11)
    ).isoformat()
    run = env.shell(
        "from projects.alerts.delivery import deadlines_scan\n"
        "from projects.alerts.tasks import digests_send_task\n"
        "import datetime as dt\n"
        f"deadlines_scan(today=dt.date.fromisoformat('{day}'))\n"
        f"digests_send_task('{day}')\n"
    )
    assert run.returncode != 0 and "OperationalError" in run.stderr, run.stderr[-2000:]
    review = env.sql(
        "SELECT n.id, n.digest_id FROM projects_notice n"
        " WHERE n.kind = 'review_overdue' AND n.year_record_id = %s",
        [record["id"]],
    )
    assert review and all(digest is not None for _, digest in review)
    waiting = pending_digests(env)
    assert waiting > 0  # kept in the database, not lost with the delay()
    assert len(env.smtp.received()) == sent_before

    env.redis.start()  # empty: every message it held is gone
    env.send("projects.tasks.digests_send", today=day)
    wait_until(
        lambda: pending_digests(env) == 0,
        90,
        f"the digests to be sent; worker log:\n{worker.log()[-2000:]}",
    )
    delivered = env.sql(
        "SELECT count(*) FROM projects_notice WHERE kind = 'review_overdue'"
        " AND year_record_id = %s AND delivered_at IS NOT NULL",
        [record["id"]],
    )[0][0]
    assert delivered == len(review)
    mails = [
        m
        for m in env.smtp.received()[sent_before:]
        if "提交后逾期未审核" in m.get_body(("plain",)).get_content()
    ]
    assert mails
    told = assert_each_told_once(env)
    figure(
        "celery faults",
        f"Redis stopped: the clerk's PATCH and submit answered 200; the digest run "
        f"failed to enqueue and left {waiting} digests pending in the database; "
        f"Redis restarted empty: all sent once (supervisors told of the submitted "
        f"report: {len(review)}; {told['mails']} e-mails in all, no duplicate)",
    )
