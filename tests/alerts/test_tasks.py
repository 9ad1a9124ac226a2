"""Tasks, their reliability settings, the beat schedule and the commands."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test.utils import override_settings
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from config.celery_app import app
from projects import tasks as project_tasks
from projects.alerts import tasks
from projects.alerts.choices import DigestStatus
from projects.alerts.models import Digest, Notice
from projects.models import YearRecord
from tests.alerts.support import free_port

TASKS = {
    "projects.tasks.year_open",
    "projects.tasks.deadlines_scan",
    "projects.tasks.digests_send",
}


def test_celery_reliability_settings():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.timezone == "Asia/Shanghai"
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    if conf.broker_url.startswith("redis://"):
        # Redis redelivers an unacknowledged task after the visibility timeout:
        # it must outlast the longest wait between retries.
        timeout = conf.broker_transport_options["visibility_timeout"]
        assert timeout > settings.PORTFOLIO_DELIVERY_BACKOFF_MAX


def test_delivery_task_retries_with_backoff():
    task = tasks.digest_deliver_task
    assert task.acks_late
    assert OSError in task.autoretry_for  # smtplib errors are OSErrors
    assert task.retry_backoff == settings.PORTFOLIO_DELIVERY_BACKOFF
    assert task.retry_backoff_max == settings.PORTFOLIO_DELIVERY_BACKOFF_MAX
    assert task.retry_jitter is True
    for name in TASKS | {"projects.tasks.digest_deliver"}:
        assert app.tasks[name].acks_late, name


def test_setup_schedules_is_idempotent_and_in_shanghai_time(db):
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    call_command("setup_schedules", stdout=out)
    periodic = PeriodicTask.objects.filter(task__in=TASKS)
    assert periodic.count() == 3
    for task in periodic:
        assert str(task.crontab.timezone) == "Asia/Shanghai"
    year_open = periodic.get(task="projects.tasks.year_open").crontab
    assert (year_open.minute, year_open.hour) == ("10", "0")
    assert (year_open.day_of_month, year_open.month_of_year) == ("1", "1")
    digests = periodic.get(task="projects.tasks.digests_send").crontab
    hour, minute = settings.PORTFOLIO_DIGEST_TIME.split(":")
    assert (digests.hour, digests.minute) == (str(int(hour)), str(int(minute)))
    assert "已存在，保持不变" in out.getvalue()


def test_setup_schedules_keeps_an_admin_edit_unless_reset(db):
    call_command("setup_schedules", stdout=StringIO())
    task = PeriodicTask.objects.get(task="projects.tasks.digests_send")
    edited = CrontabSchedule.objects.create(
        minute="0", hour="17", timezone="Asia/Shanghai"
    )
    task.crontab = edited
    task.save()
    call_command("setup_schedules", stdout=StringIO())
    assert PeriodicTask.objects.get(pk=task.pk).crontab_id == edited.pk
    with override_settings(PORTFOLIO_DIGEST_TIME="09:15"):
        call_command("setup_schedules", "--reset", stdout=StringIO())
    crontab = PeriodicTask.objects.get(pk=task.pk).crontab
    assert (crontab.hour, crontab.minute) == ("9", "15")


def test_setup_schedules_refuses_a_bad_time(db):
    with override_settings(PORTFOLIO_DIGEST_TIME="8点"), pytest.raises(CommandError):
        call_command("setup_schedules", stdout=StringIO())


def test_scan_task_takes_a_day_and_is_idempotent(plan, supervisor):
    first = tasks.deadlines_scan_task.run(today="2026-12-13")
    assert first["created"]["report_overdue"] > 0
    assert first["today"] == "2026-12-13"
    again = tasks.deadlines_scan_task.run(today="2026-12-13")
    assert sum(again["created"].values()) == 0


def test_year_open_task_opens_the_year_once(plan):
    opened = project_tasks.year_open_task.run(year=2027)
    assert opened == YearRecord.objects.filter(year=2027).count() > 0
    assert project_tasks.year_open_task.run(year=2027) == 0


def test_digests_task_enqueues_deliveries_after_commit(
    plan, supervisor, django_capture_on_commit_callbacks
):
    tasks.deadlines_scan_task.run(today="2026-12-13")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = tasks.digests_send_task.run(today="2026-12-13")
    pending = Digest.objects.filter(status=DigestStatus.PENDING)
    assert result == {"digests": pending.count()} and pending.count() > 1
    assert len(callbacks) == pending.count()


def test_delivery_task_retries_while_smtp_is_down(plan, supervisor):
    tasks.deadlines_scan_task.run(today="2026-12-13")
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),
        EMAIL_USE_TLS=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
    ):
        from projects.alerts.delivery import digests_prepare

        digests_prepare()
        digest = Digest.objects.get(recipient=supervisor)
        # Run in-process (eager): every retry runs at once instead of waiting.
        result = tasks.digest_deliver_task.apply(args=[digest.pk])
    assert result.failed()
    digest.refresh_from_db()
    assert digest.attempts == settings.PORTFOLIO_DELIVERY_MAX_RETRIES + 1
    assert digest.status == DigestStatus.PENDING
    assert not digest.notices.filter(delivered_at__isnull=False).exists()


def test_scan_deadlines_command_prints_and_sends(plan, supervisor, mailoutbox):
    out = StringIO()
    call_command("scan_deadlines", "--today", "2026-12-13", stdout=out)
    text = out.getvalue()
    assert "扫描日期：2026-12-13" in text
    assert "年度报告逾期未报：新增" in text
    assert "汇总发送：已发送" in text
    assert any(m.to == [supervisor.email] for m in mailoutbox)
    assert not Notice.objects.filter(
        recipient=supervisor, delivered_at__isnull=True
    ).exists()
    out = StringIO()
    call_command("scan_deadlines", "--today", "2026-12-13", stdout=out)
    assert "新增通知合计 0 条" in out.getvalue()
    assert "没有新的事项需要发送" in out.getvalue()


def test_scan_deadlines_command_opens_a_new_year(plan):
    out = StringIO()
    call_command("scan_deadlines", "--today", "2027-01-01", "--no-send", stdout=out)
    assert "开启2027年度：新建年度记录" in out.getvalue()
    assert YearRecord.objects.filter(year=2027, due_date=dt.date(2027, 12, 20)).exists()


def test_scan_deadlines_command_rejects_a_bad_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("scan_deadlines", "--today", "2026-13-01")
