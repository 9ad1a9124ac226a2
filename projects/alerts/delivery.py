"""Deadline scans and the delivery of their notices: the services that tasks,
commands, the admin and the API call.

- ``deadlines_scan``: open the year if needed, then apply every rule of
  ``projects.rules`` (resolve what is gone, open what is new) — a fixed number of
  statements whatever the number of projects.
- ``digests_prepare``: put the notices nobody has been told of yet into one
  digest per recipient (e-mail) and one per department robot (WeCom/DingTalk).
- ``digest_deliver``: send one digest; its notices are marked delivered only
  after the SMTP server or the robot API accepted it. Transport errors propagate
  so that the Celery task retries with backoff.
- ``notice_mark_read``: a person marks their notice read.

The database is the outbox: a digest that could not be sent stays pending and
every later digest run enqueues it again, so a lost task message, a worker
killed mid-run or an SMTP server down for days loses nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import smtplib
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import parseaddr

import requests
from django.conf import settings
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from portfolio.authorization import person_of
from portfolio.choices import AuditAction
from portfolio.selectors import current_plan, scope_of_departments
from portfolio.services import Actor, actor_label, audit_log
from projects.alerts.choices import (
    INDICATOR_KINDS,
    DigestStatus,
    NoticeChannel,
    NoticeKind,
    WebhookKind,
)
from projects.alerts.indicator_rules import indicator_line, indicator_notices_q
from projects.alerts.markdown import markdown_text
from projects.alerts.models import (
    DepartmentWebhook,
    Digest,
    Notice,
    ScanRun,
    WebhookNotice,
)
from projects.alerts.rules import RULES, URGENCY, day_start, rule_create, rule_resolve
from projects.alerts.wording import notice_deadline, notice_text
from projects.services import year_open

SCAN_ACTOR = gettext_lazy("定时任务 scan_deadlines")
# Counted apart in a digest's header: a reminder is not late yet, and a red light
# warns about a project rather than a deadline missed.
NOT_OVERDUE_KINDS = frozenset({NoticeKind.REMINDER, NoticeKind.HEALTH_RED})
# A scan that created this many notices refreshes the table's statistics.
ANALYZE_AFTER = 1000
# WeCom refuses markdown over 4096 bytes; DingTalk allows more. Keep under both.
WEBHOOK_MAX_BYTES = 3800


class WebhookRejected(Exception):
    """The robot API answered, but did not take the message (errcode ≠ 0)."""


class DigestBusy(Exception):
    """Another worker holds the digest (it is sending it right now); retry later."""


# What a delivery may fail with and be retried for: SMTP errors are OSErrors.
DELIVERY_ERRORS = (OSError, requests.RequestException, WebhookRejected, DigestBusy)


# --- The scan ---------------------------------------------------------------


@dataclass
class ScanSummary:
    today: dt.date
    year_records_opened: int = 0
    created: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "year_records_opened": self.year_records_opened,
            "created": self.created,
            "resolved": self.resolved,
        }

    def lines(self) -> list[str]:
        out = [gettext("扫描日期：%(day)s") % {"day": f"{self.today:%Y-%m-%d}"}]
        if self.year_records_opened:
            opened = {"year": self.today.year, "count": self.year_records_opened}
            out.append(gettext("开启%(year)s年度：新建年度记录 %(count)s 条") % opened)
        line = "  " + gettext("%(kind)s：新增 %(created)s，解除 %(resolved)s")
        for kind in URGENCY:
            created = self.created.get(kind.value, 0)
            resolved = self.resolved.get(kind.value, 0)
            out.append(line % dict(kind=kind.label, created=created, resolved=resolved))
        return out


@transaction.atomic
def deadlines_scan(
    *, today: dt.date, actor: Actor | None = SCAN_ACTOR, open_year: bool = True
) -> ScanSummary:
    """Apply every rule as of ``today``; idempotent, set-based.

    First opens ``today``'s year when it is not open yet (``year_open``, the same
    as the 1 January task: a server that was down on New Year's Day catches up).
    """
    actor = str(actor) if actor is SCAN_ACTOR else actor  # audit rows take a str
    summary = ScanSummary(today=today)
    plan = current_plan()
    if open_year and plan is not None:
        summary.year_records_opened = len(
            year_open(plan=plan, year=today.year, actor=actor)
        )
    now = timezone.now()
    for rule in RULES:
        summary.resolved[rule.kind.value] = rule_resolve(rule, today, now)
        summary.created[rule.kind.value] = rule_create(rule, today, now)
    if summary.total_created >= ANALYZE_AFTER:
        # After a backlog, fresh statistics let the next scan's anti-joins hash
        # instead of probing row by row (autovacuum would get there, later).
        with connection.cursor() as cursor:
            cursor.execute(
                f"ANALYZE {connection.ops.quote_name(Notice._meta.db_table)}"
            )
    # The notices list says when the scan last ran (or that it has not yet).
    ScanRun.objects.create(
        day=today,
        actor_label=actor_label(actor)[:150],
        notices_created=summary.total_created,
    )
    return summary


# --- Reading notices as a person would --------------------------------------


def _admin_url(name: str, *args, query: str = "") -> str:
    url = settings.SITE_URL.rstrip("/") + reverse(f"admin:{name}", args=args)
    return f"{url}?{query}" if query else url


def _item_url(notice: Notice) -> str:
    if notice.year_record_id:
        return _admin_url("projects_yearrecord_change", notice.year_record_id)
    return _admin_url("projects_project_change", notice.project_id)


@dataclass
class DigestItem:
    kind: NoticeKind
    project: str
    text: str
    url: str
    deadline: dt.date
    order: tuple
    bucket: str  # the year of a report, the district of a project
    by_year: bool = False


@dataclass
class DigestGroup:
    kind: NoticeKind
    label: str
    count: int
    items: list[DigestItem]
    more: int
    more_url: str
    breakdown: str
    # The first group about indicators: the digest heads them apart.
    first_indicator: bool = False


@dataclass
class DigestContent:
    today: dt.date
    total: int
    groups: list[DigestGroup]
    inbox_url: str

    @property
    def overdue(self) -> int:
        """Items past a due date: neither a reminder nor a red light (a red light
        is a warning about a project, not a deadline missed)."""
        return sum(g.count for g in self.groups if g.kind not in NOT_OVERDUE_KINDS)

    @property
    def red_lights(self) -> int:
        return sum(g.count for g in self.groups if g.kind == NoticeKind.HEALTH_RED)

    @property
    def reminders(self) -> int:
        return sum(g.count for g in self.groups if g.kind == NoticeKind.REMINDER)

    @property
    def summary(self) -> str:
        """The header's breakdown: 逾期 N 项，红灯 N 项，截止提醒 N 项 (non-zero)."""
        parts = []
        if self.overdue:
            parts.append(gettext("逾期 %(n)s 项") % {"n": self.overdue})
        if self.red_lights:
            parts.append(gettext("红灯 %(n)s 项") % {"n": self.red_lights})
        if self.reminders:
            parts.append(gettext("截止提醒 %(n)s 项") % {"n": self.reminders})
        return gettext("，").join(parts)

    def placeholders(self) -> dict:  # what the digest's messages fill in
        day = {"day": self.today.strftime(gettext("%Y年%m月%d日"))}
        return vars(self) | day | {"overdue": self.overdue, "reminders": self.reminders}


def _digest_item(notice: Notice, kind: NoticeKind, today: dt.date) -> DigestItem:
    """A notice's line: about a project, or (apart) about an indicator."""
    deadline = notice_deadline(notice)
    text = notice_text(notice, today)
    if kind in INDICATOR_KINDS:  # an indicator: no project
        line = indicator_line(notice)
        return DigestItem(kind, text=text, deadline=deadline, by_year=True, **line)
    project = notice.project
    return DigestItem(
        kind=kind,
        project=str(project),
        text=text,
        url=_item_url(notice),
        deadline=deadline,
        order=(deadline, project.table_id or 0, project.number),
        bucket=(
            gettext("%(year)s年") % {"year": notice.year_record.year}
            if notice.year_record_id
            else project.district.name
        ),
        by_year=bool(notice.year_record_id),
    )


def digest_content(notices: list[Notice], *, today: dt.date) -> DigestContent:
    """Group, count and order the notices: most urgent kind first, then oldest.

    A notice about the same item and period for several people (a robot
    message) is listed once. Each kind lists at most
    ``PORTFOLIO_DIGEST_ITEMS_PER_KIND`` items and counts the rest, so a backlog
    of years makes a readable digest, not a wall of lines.
    """
    seen = set()
    by_kind: dict[NoticeKind, list[DigestItem]] = defaultdict(list)
    for notice in notices:
        key = (notice.kind, notice.content_type_id, notice.object_id, notice.period)
        if key in seen:
            continue
        seen.add(key)
        kind = NoticeKind(notice.kind)
        by_kind[kind].append(_digest_item(notice, kind, today))
    cap = settings.PORTFOLIO_DIGEST_ITEMS_PER_KIND
    groups = []
    # Projects' kinds first, most urgent first; then the indicators' apart.
    order = [k for k in URGENCY if k not in INDICATOR_KINDS]
    for kind in order + [k for k in URGENCY if k in INDICATOR_KINDS]:
        items = sorted(by_kind.get(kind, []), key=lambda i: i.order)
        if not items:
            continue
        buckets: dict[str, int] = defaultdict(int)
        for item in items:
            buckets[item.bucket] += 1
        breakdown = ""
        if len(buckets) > 1:
            by = gettext("年度") if items[0].by_year else gettext("县区")
            each = gettext("%(name)s %(count)s 项")
            parts = [each % {"name": n, "count": c} for n, c in buckets.items()]
            counts = gettext("，").join(parts)
            breakdown = gettext("按%(by)s：%(counts)s") % dict(by=by, counts=counts)
        groups.append(
            DigestGroup(
                kind=kind,
                label=str(kind.label),
                count=len(items),
                items=items[:cap],
                more=max(len(items) - cap, 0),
                more_url=_admin_url(
                    "alerts_notice_changelist",
                    query=f"mine=yes&kind__exact={kind.value}&resolved=no",
                ),
                breakdown=breakdown,
                first_indicator=kind in INDICATOR_KINDS
                and not any(g.kind in INDICATOR_KINDS for g in groups),
            )
        )
    return DigestContent(
        today=today,
        total=sum(g.count for g in groups),
        groups=groups,
        inbox_url=_admin_url("alerts_notice_changelist", query="mine=yes&resolved=no"),
    )


def digest_subject(content: DigestContent) -> str:
    subject = gettext(
        "【巴中服务业项目调度】%(day)s新增事项 %(total)s 项（%(summary)s）"
    )
    return subject % (content.placeholders() | {"summary": content.summary})


def digest_email(digest: Digest, notices: list[Notice], *, today: dt.date):
    """The e-mail of a digest: Chinese subject, a plain-text and an HTML part."""
    content = digest_content(notices, today=today)
    recipient = digest.recipient
    context = {
        "content": content,
        "name": recipient.get_full_name() or recipient.get_username(),
        "site_url": settings.SITE_URL,
    }
    from_email = str(settings.DEFAULT_FROM_EMAIL)  # the setting may be lazy
    domain = parseaddr(from_email)[1].rpartition("@")[2] or "localhost"
    # The same digest always carries the same Message-ID: if a resend happens
    # (see docs/alerts.md), mail servers and clients can tell it is one message.
    message_id = f"<digest-{digest.pk}.{digest.created_at:%Y%m%d%H%M%S}@{domain}>"
    message = EmailMultiAlternatives(
        subject=digest_subject(content),
        body=render_to_string("alerts/email/digest.txt", context),
        from_email=from_email,
        to=[digest.address],
        headers={
            "Message-ID": message_id,
            "X-Portfolio-Digest": str(digest.pk),
            "X-Portfolio-Items": str(content.total),
        },
    )
    message.attach_alternative(
        render_to_string("alerts/email/digest.html", context), "text/html"
    )
    return message, content


def webhook_markdown(content: DigestContent, *, department: str) -> tuple[str, str]:
    """(title, markdown) of a robot message, within the robots' size limit."""
    # Names and texts come from the database: inert, not markup (markdown.py).
    values = content.placeholders() | {
        "department": markdown_text(department),
        "summary": content.summary,
    }
    title = gettext("项目调度提醒：新增 %(total)s 项") % values
    head = [
        gettext("### 巴中服务业项目调度 · %(department)s") % values,
        gettext("%(day)s新增事项 **%(total)s** 项（%(summary)s）") % values,
    ]
    tail = "\n" + gettext("[在系统中查看全部](%(inbox_url)s)") % values
    lines = list(head)
    size = len("\n".join(lines).encode()) + len(tail.encode())
    omitted = 0
    for group in content.groups:
        block = ["\n" + gettext("**%(label)s：%(count)s 项**") % vars(group)]
        if group.breakdown:
            block.append(f"> {markdown_text(group.breakdown)}")
        line = gettext("- [%(project)s](%(url)s)：%(text)s")
        block += [
            line
            % {
                "project": markdown_text(i.project),
                "url": i.url,
                "text": markdown_text(i.text),
            }
            for i in group.items[:10]
        ]
        shown = min(len(group.items), 10)
        if group.count > shown:
            more = {"more": group.count - shown}
            block.append(gettext("- ……另有 %(more)s 项") % more)
        text = "\n".join(block)
        if size + len(text.encode()) + 1 > WEBHOOK_MAX_BYTES:
            omitted += group.count
            continue
        lines.append(text)
        size += len(text.encode()) + 1
    if omitted:
        more = gettext("（篇幅所限，另有 %(omitted)s 项未列出）")
        lines.append("\n" + more % {"omitted": omitted})
    return title, "\n".join(lines) + tail


# --- Preparing and delivering digests ----------------------------------------


def _insert_webhook_notices(
    webhook: DepartmentWebhook, digest: Digest, candidates
) -> int:
    sql, params = candidates.order_by().values(n_notice=F("pk")).query.sql_with_params()
    table = connection.ops.quote_name(WebhookNotice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (webhook_id, notice_id, digest_id) "
            f"SELECT %s, c.n_notice, %s FROM ({sql}) c WHERE 1 = 1 "
            "ON CONFLICT DO NOTHING",
            [webhook.pk, digest.pk, *params],
        )
        return max(cursor.rowcount, 0)


@transaction.atomic
def digests_prepare() -> list[int]:
    """Gather undelivered notices into digests; return every digest still to send.

    E-mail: one digest per recipient (with an address) holding all their open
    notices not yet in a digest — a fixed number of statements. Robots: one
    digest per active robot with the open notices about its department's
    projects that it has not carried yet (created since it was configured).
    Digests left pending by earlier runs (SMTP down, a worker killed) are
    returned too, so they are sent again.
    """
    pending = Notice.objects.filter(
        digest__isnull=True, delivered_at__isnull=True, resolved_at__isnull=True
    )
    recipients = list(
        pending.filter(recipient__is_active=True)
        .exclude(recipient__email="")
        .values_list("recipient_id", "recipient__email")
        .distinct()
    )
    created = Digest.objects.bulk_create(
        [
            Digest(channel=NoticeChannel.EMAIL, recipient_id=user_id, address=email)
            for user_id, email in recipients
        ]
    )
    ids = [d.pk for d in created]
    if ids:
        # A concurrent run may have taken some notices already: the condition
        # ``digest IS NULL`` is re-checked under the row lock, so each notice
        # lands in exactly one digest.
        pending.filter(recipient_id__in=[r for r, _ in recipients]).update(
            digest=Subquery(
                Digest.objects.filter(pk__in=ids, recipient=OuterRef("recipient"))
                .order_by()
                .values("pk")[:1]
            )
        )
        Digest.objects.filter(pk__in=ids).update(
            item_count=Coalesce(
                Subquery(
                    Notice.objects.filter(digest=OuterRef("pk"))
                    .order_by()
                    .values("digest")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            )
        )
        Digest.objects.filter(pk__in=ids, item_count=0).delete()

    for webhook in DepartmentWebhook.objects.filter(is_active=True).select_related(
        "department"
    ):
        scope = scope_of_departments([webhook.department])
        candidates = Notice.objects.filter(
            scope.project_q("project__") | indicator_notices_q(webhook.department),
            resolved_at__isnull=True,
            created_at__gte=webhook.created_at,
        ).exclude(
            Exists(WebhookNotice.objects.filter(webhook=webhook, notice=OuterRef("pk")))
        )
        digest = Digest.objects.create(
            channel=NoticeChannel.WEBHOOK, webhook=webhook, address=webhook.url
        )
        try:
            count = _insert_webhook_notices(webhook, digest, candidates)
        except EmptyResultSet:  # a department that covers no project
            count = 0
        if count:
            Digest.objects.filter(pk=digest.pk).update(item_count=count)
        else:
            digest.delete()
    return list(
        Digest.objects.filter(status=DigestStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _dingtalk_signed(url: str, secret: str) -> str:
    timestamp = str(round(time.time() * 1000))
    signature = hmac.new(
        secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256
    ).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(signature))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def webhook_post(webhook: DepartmentWebhook, *, title: str, markdown: str) -> None:
    """Post a markdown message; raise unless the robot API took it (errcode 0)."""
    url = webhook.url
    if webhook.kind == WebhookKind.DINGTALK:
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": markdown},
        }
        if webhook.secret:
            url = _dingtalk_signed(url, webhook.secret)
    else:
        payload = {"msgtype": "markdown", "markdown": {"content": markdown}}
    response = requests.post(url, json=payload, timeout=10)
    response.raise_for_status()
    body = response.json()
    if body.get("errcode") != 0:
        raise WebhookRejected(
            f"errcode={body.get('errcode')} errmsg={body.get('errmsg', '')}"
        )


def _notices_for_rendering(queryset):
    return list(
        queryset.select_related(
            # plan and health: the progress-update and red-light lines read them.
            "project",
            "project__district",
            "project__plan",
            "project__table",
            "project__health",
            "year_record",
            "recipient",
        ).order_by("pk")
    )


@transaction.atomic
def _digest_deliver(digest_id: int, today: dt.date) -> str:
    # The row lock makes two workers (a redelivered task, a duplicate enqueue)
    # never send the same digest at the same time; a worker that dies releases
    # it with its connection.
    digest = (
        Digest.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient", "webhook", "webhook__department")
        .filter(pk=digest_id)
        .first()
    )
    if digest is None:
        if Digest.objects.filter(pk=digest_id).exists():
            busy = gettext("汇总消息 %(digest)s 正由其他进程发送")
            raise DigestBusy(busy % {"digest": digest_id})
        return "missing"
    if digest.status != DigestStatus.PENDING:
        return "already"
    now = timezone.now()
    if digest.channel == NoticeChannel.EMAIL:
        notices = _notices_for_rendering(
            digest.notices.filter(resolved_at__isnull=True)
        )
        if not notices:
            Digest.objects.filter(pk=digest.pk).update(status=DigestStatus.CANCELLED)
            return "cancelled"
        message, content = digest_email(digest, notices, today=today)
        if message.send() != 1:
            raise smtplib.SMTPException(gettext("邮件服务器未接收该邮件"))
        Notice.objects.filter(pk__in=[n.pk for n in notices]).update(delivered_at=now)
    else:
        if not digest.webhook.is_active:  # switched off since the digest was made
            Digest.objects.filter(pk=digest.pk).update(status=DigestStatus.CANCELLED)
            return "cancelled"
        rows = WebhookNotice.objects.filter(
            digest=digest, notice__resolved_at__isnull=True
        )
        notices = _notices_for_rendering(
            Notice.objects.filter(pk__in=rows.values("notice_id"))
        )
        if not notices:
            Digest.objects.filter(pk=digest.pk).update(status=DigestStatus.CANCELLED)
            return "cancelled"
        content = digest_content(notices, today=today)
        title, markdown = webhook_markdown(
            content, department=str(digest.webhook.department)
        )
        webhook_post(digest.webhook, title=title, markdown=markdown)
        rows.update(delivered_at=now)
    Digest.objects.filter(pk=digest.pk).update(
        status=DigestStatus.SENT, sent_at=now, item_count=content.total
    )
    return "sent"


def digest_deliver(*, digest_id: int, today: dt.date | None = None) -> str:
    """Send one digest: "sent", "already" (sent before), "cancelled" (nothing left).

    Raises one of ``DELIVERY_ERRORS`` when the server did not take it; the
    digest then stays pending with the error recorded, for the retry.
    """
    today = today or timezone.localdate()
    try:
        return _digest_deliver(digest_id, today)
    except DigestBusy:
        raise
    except DELIVERY_ERRORS as exc:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        Digest.objects.filter(pk=digest_id).update(
            attempts=F("attempts") + 1,
            last_error=f"{stamp} {type(exc).__name__}: {exc}"[:1000],
        )
        raise


def digests_deliver_now(*, today: dt.date | None = None) -> dict[str, int]:
    """Prepare and send every pending digest in this process (the command's way)."""
    outcome: dict[str, int] = defaultdict(int)
    for digest_id in digests_prepare():
        try:
            outcome[digest_deliver(digest_id=digest_id, today=today)] += 1
        except DELIVERY_ERRORS:
            outcome["failed"] += 1
    return dict(outcome)


# --- A person's own notices ----------------------------------------------------


@transaction.atomic
def notice_mark_read(*, notice: Notice, actor: Actor) -> Notice:
    """The recipient marks a notice read (idempotent); nobody else may."""
    if person_of(actor) is None or notice.recipient_id != actor.pk:
        raise PermissionDenied(gettext("只能将发给自己的通知标记为已读。"))
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
        audit_log(
            instance=notice,
            action=AuditAction.UPDATE,
            actor=actor,
            changes={"read": [False, True]},
        )
    return notice


__all__ = [
    "DELIVERY_ERRORS",
    "DigestBusy",
    "ScanSummary",
    "WebhookRejected",
    "day_start",
    "deadlines_scan",
    "digest_content",
    "digest_deliver",
    "digests_deliver_now",
    "digests_prepare",
    "notice_mark_read",
    "webhook_post",
]
