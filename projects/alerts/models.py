"""Deadline and overdue notices, the digests that carry them, group-chat robots.

The rules that create notices live in ``projects.alerts.rules``, their delivery in
``projects.alerts.delivery``. The tables keep the names they had in ``projects``.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.models import Department, District, Plan, Sector
from projects.models import Project, YearRecord

from .choices import (
    DigestStatus,
    NoticeChannel,
    NoticeKind,
    NoticeLevel,
    WebhookDeliveryStatus,
    WebhookEventType,
    WebhookKind,
)

# --- Deadline and overdue notices, their delivery (issue 5) -------------------
# The rules that create notices live in projects/rules.py, the delivery in
# projects/alerts.py.


class DepartmentWebhook(models.Model):
    """A department's group-chat robot (WeCom or DingTalk) that receives digests.

    It carries the notices about projects in its department's scope (the
    district of a district government, the sectors of a bureau), created after
    the robot was configured, one message per run.
    """

    department = models.ForeignKey(
        Department,
        verbose_name=_("责任单位"),
        on_delete=models.CASCADE,
        related_name="webhooks",
    )
    name = models.CharField(
        _("名称"), max_length=60, help_text=_("如“项目调度工作群”。")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=WebhookKind.choices)
    url = models.URLField(
        _("Webhook 地址"),
        max_length=500,
        help_text=_("群机器人的完整 Webhook 地址（含 key 或 access_token）。"),
    )
    secret = models.CharField(
        _("加签密钥"),
        max_length=200,
        blank=True,
        help_text=_("钉钉机器人“加签”安全设置的密钥（SEC 开头）；不用加签时留空。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        db_table = "projects_departmentwebhook"
        verbose_name = _("部门群机器人")
        verbose_name_plural = _("部门群机器人")
        ordering = ["department", "name"]

    def __str__(self) -> str:
        return f"{self.department} · {self.name}"


class Digest(models.Model):
    """One message on one channel: an e-mail to a person or a post to a robot.

    Built by a digest run from the notices not yet delivered; sent by a task;
    ``sent_at`` is set, and its notices marked delivered, only after the server
    (SMTP or the robot's API) accepted the message.
    """

    channel = models.CharField(_("渠道"), max_length=20, choices=NoticeChannel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notice_digests",
    )
    webhook = models.ForeignKey(
        DepartmentWebhook,
        verbose_name=_("群机器人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="digests",
    )
    address = models.CharField(_("发送地址"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=DigestStatus.choices,
        default=DigestStatus.PENDING,
        db_index=True,
    )
    item_count = models.PositiveIntegerField(_("事项数"), default=0)
    attempts = models.PositiveIntegerField(_("失败次数"), default=0)
    last_error = models.TextField(_("最近一次失败原因"), blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        db_table = "projects_digest"
        verbose_name = _("汇总消息")
        verbose_name_plural = _("汇总消息")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        channel="email", recipient__isnull=False, webhook__isnull=True
                    )
                    | models.Q(
                        channel="webhook", webhook__isnull=False, recipient__isnull=True
                    )
                ),
                name="digest_has_one_destination",
            ),
        ]

    def __str__(self) -> str:
        target = self.recipient or self.webhook
        return _("%(channel)s → %(target)s（%(count)s项）") % {
            "channel": self.get_channel_display(),
            "target": target,
            "count": self.item_count,
        }


class Notice(models.Model):
    """A rule's finding, addressed to one person: a reminder or an overdue item.

    Unique per (rule, item, recipient, period): re-runs, retries and concurrent
    scans never create a second one. ``resolved_at`` is set by the scan when the
    cause is gone; ``delivered_at`` when the e-mail that carried it was accepted.
    """

    kind = models.CharField(_("类型"), max_length=30, choices=NoticeKind.choices)
    level = models.PositiveSmallIntegerField(
        _("级别"),
        choices=NoticeLevel.choices,
        default=NoticeLevel.NORMAL,
        help_text=_("一般：发给督查员、填报员；升级：逾期久未解决，发给管理员。"),
    )
    # No index of its own on content_type (only ever read with object_id, which
    # the unique constraint covers) nor on recipient (the inbox index leads with
    # it): fewer indexes to maintain when a scan inserts a backlog.
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("事项类型"),
        on_delete=models.PROTECT,
        db_index=False,
    )
    object_id = models.PositiveBigIntegerField(_("事项ID"))
    item = GenericForeignKey("content_type", "object_id")
    # Empty for a notice about an indicator (考核指标), which has no project.
    project = models.ForeignKey(
        Project,
        verbose_name=_("项目"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    year_record = models.ForeignKey(
        YearRecord,
        verbose_name=_("年度记录"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notices",
        db_index=False,
    )
    period = models.CharField(
        _("规则周期"),
        max_length=60,
        help_text=_("同一事项在同一周期内只通知一次，如“2026”“D-7”。"),
    )
    opened_on = models.DateField(_("触发日期"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    digest = models.ForeignKey(
        Digest,
        verbose_name=_("所在汇总邮件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
    )
    delivered_at = models.DateTimeField(_("邮件送达时间"), null=True, blank=True)

    class Meta:
        db_table = "projects_notice"
        verbose_name = _("提醒与逾期通知")
        verbose_name_plural = _("提醒与逾期通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "content_type", "object_id", "recipient", "period"],
                name="notice_once_per_rule_item_recipient_period",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notice_inbox"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(
                    resolved_at__isnull=True,
                    delivered_at__isnull=True,
                    digest__isnull=True,
                ),
                name="notice_undelivered",
            ),
        ]

    def __str__(self) -> str:
        subject = self.project.name if self.project_id else str(self.item or "")
        return _("%(kind)s：%(project)s") % {
            "kind": self.get_kind_display(),
            "project": subject,
        }

    @property
    def read(self) -> bool:
        return self.read_at is not None


class WebhookNotice(models.Model):
    """That a notice went (or is going) to a department robot: per-channel bookkeeping.

    One row per (robot, notice), created when a digest run puts the notice in a
    robot message; ``delivered_at`` is set only after the robot's API accepted it.
    """

    webhook = models.ForeignKey(
        DepartmentWebhook,
        verbose_name=_("群机器人"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    notice = models.ForeignKey(
        Notice,
        verbose_name=_("通知"),
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
    )
    digest = models.ForeignKey(
        Digest,
        verbose_name=_("所在消息"),
        on_delete=models.CASCADE,
        related_name="webhook_notices",
    )
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        db_table = "projects_webhooknotice"
        verbose_name = _("群机器人投递")
        verbose_name_plural = _("群机器人投递")
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "notice"], name="webhook_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.webhook} ← {self.notice_id}"


class ScanRun(models.Model):
    """One run of the deadline scan: as of which day, when, by what, what it opened.

    Written by ``deadlines_scan``. The notices list reads the latest run to say
    whether the scan has run yet: the dashboard counts overdue items live, while
    notices only appear once the scan has opened them.
    """

    day = models.DateField(_("扫描日期"))
    finished_at = models.DateTimeField(_("完成时间"), default=timezone.now)
    actor_label = models.CharField(_("运行方式"), max_length=150)
    notices_created = models.PositiveIntegerField(_("新增通知"), default=0)

    class Meta:
        verbose_name = _("扫描记录")
        verbose_name_plural = _("扫描记录")
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.actor_label}"


# --- Outbound webhooks: event subscriptions of external systems (issue 15) -----


def webhook_secret() -> str:
    """A fresh signing secret: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """An external system's URL that hears of changes instead of polling.

    An administrator picks the event types and, optionally, a scope: a filter
    left empty lets everything through; filters on several dimensions must all
    match. Only events that happen after the subscription was created (or while
    it is active) are sent. Each delivery is signed with ``secret``
    (docs/api.md).
    """

    name = models.CharField(_("名称"), max_length=100, unique=True)
    url = models.URLField(
        _("接收地址"),
        max_length=500,
        help_text=_("外部系统接收事件的完整地址（POST JSON）。"),
    )
    secret = models.CharField(
        _("签名密钥"),
        max_length=200,
        default=webhook_secret,
        help_text=_("用于 HMAC-SHA256 签名；请告知对方系统，泄露后请更换。"),
    )
    events = models.JSONField(
        _("订阅事件"),
        default=list,
        help_text=_("勾选需要推送的事件类型。"),
    )
    plans = models.ManyToManyField(
        Plan, verbose_name=_("限定规划"), blank=True, related_name="+"
    )
    departments = models.ManyToManyField(
        Department, verbose_name=_("限定责任单位"), blank=True, related_name="+"
    )
    districts = models.ManyToManyField(
        District, verbose_name=_("限定县区"), blank=True, related_name="+"
    )
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("限定产业"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    give_up_hours = models.PositiveIntegerField(
        _("放弃时限（小时）"),
        null=True,
        blank=True,
        help_text=_("一直发送失败时，超过该时限即放弃；留空则按系统设置。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("事件订阅（Webhook）")
        verbose_name_plural = _("事件订阅（Webhook）")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        events = self.events if isinstance(self.events, list) else None
        if not events:
            raise ValidationError({"events": _("请至少选择一种事件。")})
        unknown = sorted(set(events) - set(WebhookEventType.values))
        if unknown:
            message = _("未知的事件类型：%(names)s") % {"names": ", ".join(unknown)}
            raise ValidationError({"events": message})


class WebhookEvent(models.Model):
    """One event, written once from the audit trail or a notice (the outbox).

    Its source is unique (one audit entry, or one notice's item and period), so
    an event is never made twice; its ``data`` is frozen when it is made, so a
    redelivery sends the same body with the same ``event_id``.
    """

    event_id = models.UUIDField(
        _("事件ID"), default=uuid.uuid4, unique=True, editable=False
    )
    type = models.CharField(
        _("事件类型"), max_length=40, choices=WebhookEventType.choices
    )
    occurred_at = models.DateTimeField(_("发生时间"), db_index=True)
    data = models.JSONField(_("事件内容"), default=dict)
    scope = models.JSONField(
        _("范围"),
        default=dict,
        help_text=_("规划、责任单位、县区、产业的编码，用于订阅的范围筛选。"),
    )
    audit_entry_id = models.PositiveBigIntegerField(
        _("来源变更记录"), null=True, blank=True, unique=True
    )
    notice_key = models.CharField(
        _("来源通知"), max_length=200, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("推送事件")
        verbose_name_plural = _("推送事件")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audit_entry_id__isnull=False)
                | models.Q(notice_key__isnull=False),
                name="webhook_event_has_a_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.event_id}"


class WebhookDelivery(models.Model):
    """One event to one subscription: at most one row, whatever happens.

    The unique constraint makes a second collection run, a retried task or a
    killed worker unable to create a second delivery; a delivery is marked
    sent only after the receiver answered 2xx.
    """

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("订阅"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        WebhookEvent,
        verbose_name=_("事件"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    give_up_at = models.DateTimeField(_("放弃时间"))
    last_attempt_at = models.DateTimeField(_("最近尝试时间"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("最近响应状态码"), null=True, blank=True
    )
    last_error = models.TextField(_("最近一次失败原因"), blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status=WebhookDeliveryStatus.PENDING),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} ← {self.event}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: when, the status code or the error."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("推送记录"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    attempted_at = models.DateTimeField(_("尝试时间"))
    status_code = models.PositiveSmallIntegerField(
        _("响应状态码"), null=True, blank=True
    )
    error = models.TextField(_("错误"), blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)

    class Meta:
        verbose_name = _("推送尝试")
        verbose_name_plural = _("推送尝试")
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error[:40]}"
