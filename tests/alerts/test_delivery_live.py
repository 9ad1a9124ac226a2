"""End to end with real servers: Redis broker, a Celery worker process, SMTP.

The worker is a separate process, so it must see committed data: these tests run
on ``transactional_db`` (autocommit, the test database flushed afterwards and
the plan loaded again). They need PostgreSQL and Redis (CI provides both) and
are skipped on the embedded defaults.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_celery_beat.models import PeriodicTask

from projects.alerts.choices import DigestStatus
from projects.alerts.delivery import (
    DigestBusy,
    deadlines_scan,
    digest_deliver,
    digests_prepare,
)
from projects.alerts.models import Digest, Notice
from projects.bootstrap.plan_loader import plan_load
from tests.alerts.support import SmtpServer, Worker, wait_until
from tests.conftest import LOAD_DAY

TODAY = "2026-12-13"  # a week before the 2026 reports are due, years of backlog
VISIBILITY_TIMEOUT = 5  # seconds; production uses an hour

pytestmark = pytest.mark.slow


def _test_database_url() -> str:
    db = connection.settings_dict
    user = urllib.parse.quote(db.get("USER") or "")
    password = urllib.parse.quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{db['NAME']}"


@dataclass
class Live:
    smtp: SmtpServer
    worker: Worker

    def send_beat_task(self, task: str) -> str:
        """Send a periodic task as beat does: its name, args and kwargs from the
        database schedule (plus the day, so the test does not depend on the date).
        """
        from config.celery_app import app

        periodic = PeriodicTask.objects.get(task=task)
        kwargs = {**json.loads(periodic.kwargs or "{}"), "today": TODAY}
        result = app.send_task(
            periodic.task, args=json.loads(periodic.args or "[]"), kwargs=kwargs
        )
        return result.id

    def run_task(self, task: str, timeout: float = 60) -> None:
        task_id = self.send_beat_task(task)
        wait_until(
            lambda: self.worker.succeeded(task_id),
            timeout,
            f"{task} to succeed; worker log:\n{self.worker.all_logs()[-3000:]}",
        )


def _flush_broker() -> None:
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


@pytest.fixture
def plan_reloaded_after(django_db_blocker):
    """Set up before ``transactional_db``, so torn down after its flush: put the
    plan back for the tests that follow."""
    yield
    with django_db_blocker.unblock():
        plan_load(today=LOAD_DAY)
        call_command("create_demo_accounts", stdout=StringIO())


@pytest.fixture
def live(plan_reloaded_after, transactional_db, tmp_path):
    """Committed data (the worker is another process), a broker and SMTP server of
    our own; the database is flushed afterwards by ``transactional_db``."""
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith(
        "redis://"
    ):
        pytest.skip(
            "needs PostgreSQL and Redis (CI sets DATABASE_URL, CELERY_BROKER_URL)"
        )
    assert connection.settings_dict["NAME"].startswith("test_")
    _flush_broker()
    smtp = SmtpServer()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EMAIL_URL": smtp.url,
        "EMAIL_TIMEOUT": "10",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "PORTFOLIO_DELIVERY_BACKOFF": "1",
        "PORTFOLIO_DELIVERY_BACKOFF_MAX": "2",
        "SITE_URL": "https://xm.bazhong.example",
        "DEBUG": "false",
    }
    worker = Worker(env, tmp_path)
    try:
        call_command("setup_schedules", stdout=StringIO())
        yield Live(smtp=smtp, worker=worker)
    finally:
        worker.kill()
        smtp.down()
        _flush_broker()


def expected_recipients() -> dict[str, int]:
    """E-mail address → number of open notices, as the database has them."""
    counts = Counter(
        Notice.objects.exclude(recipient__email="").values_list(
            "recipient__email", flat=True
        )
    )
    return dict(counts)


def all_sent() -> bool:
    return (
        Digest.objects.exists()
        and not Digest.objects.filter(status=DigestStatus.PENDING).exists()
    )


def assert_each_notice_told_exactly_once(smtp: SmtpServer, wanted: dict[str, int]):
    got = smtp.by_recipient()
    assert set(got) == set(wanted)
    for address, count in wanted.items():
        [mail] = got[address]  # one digest per recipient
        assert mail["X-Portfolio-Items"] == str(count), address
        assert str(mail["Subject"]).strip().startswith("【巴中服务业项目调度】")
        assert mail.get_body(("plain",)) is not None
        assert mail.get_body(("html",)) is not None
    assert (
        not Notice.objects.filter(delivered_at__isnull=True, resolved_at__isnull=True)
        .exclude(recipient__email="")
        .exists()
    )
    # Each notice is in exactly one sent digest.
    assert (
        not Notice.objects.filter(digest__isnull=True)
        .exclude(recipient__email="")
        .exists()
    )
    assert (
        sum(wanted.values())
        == Notice.objects.filter(digest__status=DigestStatus.SENT).count()
    )


def test_beat_tasks_on_a_real_worker_deliver_each_notice_once(live):
    live.smtp.up()
    live.worker.start()
    live.run_task("projects.tasks.deadlines_scan")
    wanted = expected_recipients()
    assert len(wanted) > 5 and sum(wanted.values()) > 1000  # the backlog
    live.run_task("projects.tasks.digests_send")
    wait_until(
        lambda: len(live.smtp.received()) >= len(wanted) and all_sent(),
        90,
        "every digest to arrive",
    )
    assert_each_notice_told_exactly_once(live.smtp, wanted)
    supervisor_mail = live.smtp.by_recipient()["supervisor@bazhong.local"][0]
    body = supervisor_mail.get_body(("plain",)).get_content()
    assert "1. 年度报告逾期未报：" in body and "（按年度：2021年" in body
    assert "https://xm.bazhong.example/admin/projects/yearrecord/" in body

    # Run again: nothing new is found, nothing is sent.
    received = len(live.smtp.received())
    digests = Digest.objects.count()
    live.run_task("projects.tasks.deadlines_scan")
    live.run_task("projects.tasks.digests_send")
    assert "{'digests': 0}" in live.worker.log()
    assert len(live.smtp.received()) == received
    assert Digest.objects.count() == digests


def test_smtp_down_during_the_run_then_up_every_digest_arrives_once(live):
    live.worker.start()  # the SMTP server is not listening: connection refused
    live.run_task("projects.tasks.deadlines_scan")
    wanted = expected_recipients()
    live.run_task("projects.tasks.digests_send")
    wait_until(
        lambda: (
            Digest.objects.count() == len(wanted)
            and not Digest.objects.filter(attempts__lt=2).exists()
        ),
        90,
        "every digest to have failed twice",
    )
    assert not Notice.objects.filter(delivered_at__isnull=False).exists()
    assert "ConnectionRefusedError" in Digest.objects.first().last_error
    live.smtp.up()
    wait_until(all_sent, 90, "the retries to deliver every digest")
    assert_each_notice_told_exactly_once(live.smtp, wanted)


def _kill_in_the_middle(live: Live, hold: str) -> dict[str, int]:
    live.smtp.hold[3] = hold
    live.smtp.up()
    live.worker.start()
    live.run_task("projects.tasks.deadlines_scan")
    wanted = expected_recipients()
    live.send_beat_task("projects.tasks.digests_send")
    assert live.smtp.holding.wait(60), live.worker.all_logs()[-3000:]
    live.worker.kill()  # SIGKILL while the third e-mail is in flight
    live.smtp.release.set()
    sent_before = Digest.objects.filter(status=DigestStatus.SENT).count()
    assert sent_before == 2
    # Redis hands the unacknowledged task to a worker once the visibility
    # timeout has passed; the restarted worker picks it up at start.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    live.worker.start()
    wait_until(all_sent, 90, "every digest after the restart")
    assert Digest.objects.count() == len(wanted)
    return wanted


def test_worker_killed_before_the_server_took_the_mail(live):
    wanted = _kill_in_the_middle(live, "before_accept")
    # Nothing lost, nothing twice.
    assert len(live.smtp.received()) == len(wanted)
    assert_each_notice_told_exactly_once(live.smtp, wanted)


def test_worker_killed_after_the_server_took_the_mail_resends_the_same_message(live):
    """The limit SMTP sets (docs/alerts.md): between the server storing a mail
    and its "250 OK" reaching the sender, a crash leaves the sender unable to
    know. We resend rather than lose: that one digest arrives twice, with the
    same Message-ID, so mail clients show it once; no other digest repeats and
    no notice is lost."""
    wanted = _kill_in_the_middle(live, "after_accept")
    ids = Counter(str(m["Message-ID"]) for m in live.smtp.received())
    assert len(ids) == len(wanted)
    assert sorted(ids.values()) == [1] * (len(wanted) - 1) + [2]
    [twice] = [mid for mid, n in ids.items() if n == 2]
    copies = [m for m in live.smtp.received() if str(m["Message-ID"]) == twice]
    assert (
        copies[0].get_body(("plain",)).get_content()
        == copies[1].get_body(("plain",)).get_content()
    )
    assert (
        not Notice.objects.filter(delivered_at__isnull=True, resolved_at__isnull=True)
        .exclude(recipient__email="")
        .exists()
    )


def test_two_workers_never_send_the_same_digest_at_once(live, mailoutbox):
    """A redelivered task while the first is still sending: the second waits."""
    deadlines_scan(today=dt.date.fromisoformat(TODAY), open_year=False)
    digest_id = digests_prepare()[0]
    locked, finish = threading.Event(), threading.Event()

    def first_worker():
        with transaction.atomic():
            Digest.objects.select_for_update().get(pk=digest_id)
            locked.set()
            finish.wait(10)
        connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert locked.wait(10)
        with pytest.raises(DigestBusy):
            digest_deliver(digest_id=digest_id)
        assert Digest.objects.get(pk=digest_id).attempts == 0  # not a failure
    finally:
        finish.set()
        thread.join()
    assert digest_deliver(digest_id=digest_id) == "sent"
    assert digest_deliver(digest_id=digest_id) == "already"
    assert len(mailoutbox) == 1
