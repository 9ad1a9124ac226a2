"""Digests as a person receives them, and delivery bookkeeping per channel."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse

import pytest
from django.core.exceptions import PermissionDenied
from django.test.utils import override_settings

from portfolio.choices import ReviewState
from portfolio.models import AuditEntry, Department
from projects.alerts.choices import DigestStatus, NoticeKind, WebhookKind
from projects.alerts.delivery import (
    WebhookRejected,
    deadlines_scan,
    digest_deliver,
    digests_deliver_now,
    digests_prepare,
    notice_mark_read,
)
from projects.alerts.markdown import markdown_text
from projects.alerts.models import DepartmentWebhook, Digest, Notice, WebhookNotice
from projects.models import Project, YearRecord
from tests.alerts.support import RobotServer, SmtpServer, free_port
from tests.conftest import LOAD_DAY
from tests.factories import ProjectFactory, YearRecordFactory

SMTP = {
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_HOST_USER": "",
    "EMAIL_HOST_PASSWORD": "",
    "EMAIL_USE_TLS": False,
    "EMAIL_USE_SSL": False,
    "EMAIL_TIMEOUT": 5,
}


def mails_to(outbox, address):
    return [m for m in outbox if m.to == [address]]


@pytest.fixture
def scanned(plan, supervisor, clerk_bazhou):
    """The fresh install's backlog as of the load day: years of unreported records."""
    deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)


@override_settings(SITE_URL="https://xm.bazhong.example")
def test_one_readable_digest_per_recipient(scanned, supervisor, mailoutbox):
    outcome = digests_deliver_now(today=dt.date(2026, 12, 13))
    assert outcome["sent"] == len(mailoutbox) > 1
    assert len({tuple(m.to) for m in mailoutbox}) == len(mailoutbox)
    [mail] = mails_to(mailoutbox, supervisor.email)
    mine = Notice.objects.filter(recipient=supervisor)
    total = mine.count()
    overdue = mine.filter(kind=NoticeKind.REPORT_OVERDUE).count()
    late = mine.filter(kind=NoticeKind.SCHEDULE_OVERDUE).count()
    assert total == overdue + late > 600
    assert mail.subject == (
        f"【巴中服务业项目调度】2026年12月13日新增事项 {total} 项（逾期 {total} 项）"
    )
    assert mail.extra_headers["X-Portfolio-Items"] == str(total)
    body = mail.body
    # Grouped and counted, the most urgent kind first, years broken down.
    assert f"1. 年度报告逾期未报：{overdue} 项（按年度：2021年" in body
    assert f"2. 超过完工年仍未完工：{late} 项（按县区：" in body
    assert body.index("年度报告逾期未报") < body.index("超过完工年仍未完工")
    # A backlog is summarised: 20 items per kind, the rest counted and linked.
    assert body.count("/admin/projects/yearrecord/") == 20
    assert f"……另有 {overdue - 20} 项未列出" in body
    assert (
        "https://xm.bazhong.example/admin/alerts/notice/"
        "?mine=yes&kind__exact=report_overdue&resolved=no"
    ) in body
    # Oldest first: the first listed item is a 2021 report.
    first_item = body.split("年度报告逾期未报")[1].split("\n")[1]
    assert "2021年度报告 2021-12-20 截止，未提交，已逾期 1819 天" in first_item
    [(html, mimetype)] = mail.alternatives
    assert mimetype == "text/html"
    assert '<a href="https://xm.bazhong.example/admin/projects/yearrecord/' in html
    assert f"年度报告逾期未报：{overdue} 项</h3>" in html
    assert len(mail.message().as_bytes()) < 200_000
    assert not mine.filter(delivered_at__isnull=True).exists()


def test_reminder_digest_for_a_clerk(scanned, clerk_bazhou, mailoutbox):
    digests_deliver_now(today=dt.date(2026, 12, 13))
    [mail] = mails_to(mailoutbox, clerk_bazhou.email)
    count = Notice.objects.filter(recipient=clerk_bazhou).count()
    assert mail.subject.endswith(f"新增事项 {count} 项（截止提醒 {count} 项）")
    assert "2026年度报告 2026-12-20 截止，还剩 7 天" in mail.body


def test_nothing_new_sends_nothing(scanned, mailoutbox):
    digests_deliver_now(today=dt.date(2026, 12, 13))
    sent = len(mailoutbox)
    deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)
    assert digests_deliver_now(today=dt.date(2026, 12, 13)) == {}
    assert len(mailoutbox) == sent


def test_next_digest_holds_only_what_is_new(scanned, supervisor, mailoutbox):
    digests_deliver_now(today=dt.date(2026, 12, 13))
    record = YearRecordFactory(
        project=ProjectFactory(start_year=2026, end_year=2027), year=2026
    )
    mailoutbox.clear()
    deadlines_scan(today=dt.date(2026, 12, 21), open_year=False)
    digests_deliver_now(today=dt.date(2026, 12, 21))
    [mail] = mails_to(mailoutbox, supervisor.email)
    new = Notice.objects.filter(recipient=supervisor, opened_on=dt.date(2026, 12, 21))
    assert new.filter(year_record=record).exists()
    assert f"新增事项 {new.count()} 项" in mail.subject
    assert "2021年度报告" not in mail.body


def test_a_notice_resolved_before_delivery_is_left_out(scanned, supervisor, mailoutbox):
    digest_ids = digests_prepare()
    record = Notice.objects.filter(
        recipient=supervisor, kind=NoticeKind.REPORT_OVERDUE
    ).first()
    Notice.objects.filter(pk=record.pk).update(resolved_at=record.created_at)
    for digest_id in digest_ids:
        digest_deliver(digest_id=digest_id, today=dt.date(2026, 12, 13))
    [mail] = mails_to(mailoutbox, supervisor.email)
    total = Notice.objects.filter(recipient=supervisor, resolved_at__isnull=True)
    assert mail.extra_headers["X-Portfolio-Items"] == str(total.count())
    assert Notice.objects.get(pk=record.pk).delivered_at is None


def test_digest_with_everything_resolved_is_cancelled(scanned, supervisor, mailoutbox):
    digests_prepare()
    digest = Digest.objects.get(recipient=supervisor, status=DigestStatus.PENDING)
    digest.notices.update(resolved_at=digest.created_at)
    assert digest_deliver(digest_id=digest.pk) == "cancelled"
    assert not mails_to(mailoutbox, supervisor.email)
    assert digest_deliver(digest_id=digest.pk) == "already"


def test_recipient_without_email_keeps_notices_in_the_inbox(scanned, supervisor):
    supervisor.email = ""
    supervisor.save()
    digests_prepare()
    assert not Digest.objects.filter(recipient=supervisor).exists()
    assert Notice.objects.filter(recipient=supervisor, digest__isnull=True).exists()


def test_a_user_switched_off_since_is_not_mailed(scanned, supervisor):
    supervisor.is_active = False
    supervisor.save()
    digests_prepare()
    assert not Digest.objects.filter(recipient=supervisor).exists()


def test_smtp_down_marks_nothing_delivered_then_up_delivers_once(scanned, supervisor):
    port = free_port()
    with override_settings(**SMTP, EMAIL_PORT=port):
        digest_ids = digests_prepare()
        digest = Digest.objects.get(recipient=supervisor)
        with pytest.raises(OSError):  # connection refused: nobody listens
            digest_deliver(digest_id=digest.pk)
        digest.refresh_from_db()
        assert digest.status == DigestStatus.PENDING and digest.attempts == 1
        assert "ConnectionRefusedError" in digest.last_error
        assert not Notice.objects.filter(
            recipient=supervisor, delivered_at__isnull=False
        ).exists()
        server = SmtpServer(port).up()
        try:
            for digest_id in digest_ids:
                digest_deliver(digest_id=digest_id)
            for digest_id in digest_ids:  # a retry that comes too late
                assert digest_deliver(digest_id=digest_id) == "already"
        finally:
            server.down()
    [mail] = server.by_recipient()[supervisor.email]
    assert len(server.received()) == len(digest_ids)
    assert str(mail["Subject"]).strip().startswith("【巴中服务业项目调度】")
    assert (
        mail["Message-ID"]
        == f"<digest-{digest.pk}.{digest.created_at:%Y%m%d%H%M%S}@bazhong.local>"
    )
    assert mail.get_body(("plain",)) and mail.get_body(("html",))
    assert not Notice.objects.filter(
        recipient=supervisor, delivered_at__isnull=True
    ).exists()


# --- Department robots ---------------------------------------------------------


def _robot(url, kind=WebhookKind.WECOM, department="bazhou-gov", secret=""):
    return DepartmentWebhook.objects.create(
        department=Department.objects.get(code=department),
        name="项目调度工作群",
        kind=kind,
        url=url,
        secret=secret,
    )


def test_wecom_robot_gets_its_department_items_once(plan, supervisor):
    with RobotServer() as robot:
        webhook = _robot(robot.url)
        deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)
        outcome = digests_deliver_now(today=dt.date(2026, 12, 13))
        assert outcome["sent"] >= 1
        [post] = robot.posts
        assert post["msgtype"] == "markdown"
        content = post["markdown"]["content"]
        assert content.startswith("### 巴中服务业项目调度 · 巴州区人民政府")
        assert len(content.encode()) <= 4096
        carried = WebhookNotice.objects.filter(webhook=webhook)
        assert carried.exists()
        assert not carried.filter(delivered_at__isnull=True).exists()
        # Only 巴州区 projects, each item once however many people were told.
        assert set(
            carried.values_list("notice__project__district__code", flat=True)
        ) == {"bazhou"}
        items = Notice.objects.filter(pk__in=carried.values("notice"))
        distinct = items.values("kind", "object_id", "period").distinct().count()
        assert f"新增事项 **{distinct}** 项" in content
        digests_deliver_now(today=dt.date(2026, 12, 13))
        assert len(robot.posts) == 1


HOSTILE_NAME = (
    "[点击领取补贴](http://evil.example/?q=1) **紧急** "
    '<font color="warning">红</font>\n# 通知\n> ![图](http://evil.example/x.png)'
)


def test_markdown_text_keeps_the_words_and_drops_the_markup():
    assert markdown_text("[x](http://evil)") == "［x］（http：//evil）"
    assert markdown_text("a\n# b\r\n> c") == "a ＃ b  ＞ c"
    assert markdown_text("巴中市文化旅游项目（一期）") == "巴中市文化旅游项目（一期）"


@override_settings(SITE_URL="https://xm.bazhong.example")
def test_robot_message_carries_no_link_or_markup_from_a_project_name(plan, supervisor):
    """A clerk's project name reaches a department's group chat as plain words."""
    Project.objects.filter(code="t1-001").update(name=HOSTILE_NAME)
    with RobotServer() as robot:
        _robot(robot.url)
        deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)
        digests_deliver_now(today=dt.date(2026, 12, 13))
        [post] = robot.posts
    content = post["markdown"]["content"]
    [line] = [line for line in content.splitlines() if "点击领取补贴" in line]
    assert line.startswith("- [表1-1 ［点击领取补贴］（http：//evil.example/?q=1）")
    assert "＊＊紧急＊＊ ＜font" in line and "＃ 通知 ＞ ！［图］" in line
    for markup in ("http://evil", "<font", "**紧急**", "![", "\n# ", "\n> !"):
        assert markup not in content
    # The only links are the system's own.
    links = re.findall(r"\]\(([^)]*)\)", content)
    assert links and all(
        link.startswith("https://xm.bazhong.example/admin/") for link in links
    )


def test_robot_refusal_is_not_delivered_and_is_retried(plan, supervisor):
    with RobotServer() as robot:
        webhook = _robot(robot.url)
        deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)
        robot.errcode = 45009  # WeCom: rate limited
        digest_ids = digests_prepare()
        digest = Digest.objects.get(webhook=webhook)
        with pytest.raises(WebhookRejected):
            digest_deliver(digest_id=digest.pk)
        assert not WebhookNotice.objects.filter(delivered_at__isnull=False).exists()
        digest.refresh_from_db()
        assert digest.status == DigestStatus.PENDING
        assert "45009" in digest.last_error
        robot.errcode = 0
        assert digest.pk in digests_prepare()  # the next run sends it again
        assert digest_deliver(digest_id=digest.pk) == "sent"
        assert len(robot.posts) == 2
        assert digest_ids


def test_dingtalk_robot_signs_its_request(plan, supervisor):
    with RobotServer() as robot:
        webhook = _robot(
            robot.url.replace("key=k", "access_token=t"),
            kind=WebhookKind.DINGTALK,
            department="education-bureau",
            secret="SEC123",
        )
        deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)
        digests_deliver_now(today=dt.date(2026, 12, 13))
        [post] = robot.posts
        assert post["markdown"]["title"].startswith("项目调度提醒")
        assert "巴中市教育局" in post["markdown"]["text"]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(robot.paths[0]).query)
        assert query["access_token"] == ["t"] and query["sign"] and query["timestamp"]
        assert WebhookNotice.objects.filter(webhook=webhook).exists()


def test_robot_configured_later_does_not_get_the_old_backlog(plan, supervisor):
    deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)
    with RobotServer() as robot:
        _robot(robot.url)
        digests_deliver_now(today=dt.date(2026, 12, 13))
        assert robot.posts == []


# --- Reading a notice ----------------------------------------------------------


def test_only_the_recipient_marks_a_notice_read(scanned, supervisor, clerk_bazhou):
    notice = Notice.objects.filter(recipient=supervisor).first()
    with pytest.raises(PermissionDenied):
        notice_mark_read(notice=notice, actor=clerk_bazhou)
    notice = notice_mark_read(notice=notice, actor=supervisor)
    assert notice.read
    again = notice_mark_read(notice=notice, actor=supervisor)
    assert again.read_at == notice.read_at
    entries = AuditEntry.objects.filter(object_id=str(notice.pk), actor=supervisor)
    assert entries.count() == 1


def test_load_day_backlog_matches_unsubmitted_records(plan, supervisor):
    """The first run on a fresh install: one notice per late report and supervisor."""
    deadlines_scan(today=LOAD_DAY, open_year=False)
    late = YearRecord.objects.filter(
        state=ReviewState.DRAFT, due_date__lt=LOAD_DAY
    ).count()
    assert (
        Notice.objects.filter(
            recipient=supervisor, kind=NoticeKind.REPORT_OVERDUE
        ).count()
        == late
        > 500
    )
