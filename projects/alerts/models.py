"""Deadline and overdue notices, the digests that carry them, group-chat robots.

The rules that create notices live in ``projects.alerts.rules``, their delivery in
``projects.alerts.delivery``. The tables keep the names they had in ``projects``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.models import Department
from projects.models import Project, YearRecord

from .choices import DigestStatus, NoticeChannel, NoticeKind, WebhookKind

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
        _("级别"), default=1, help_text=_("1：督查员/填报员；2：升级至管理员。")
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
    project = models.ForeignKey(
        Project,
        verbose_name=_("项目"),
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
        return _("%(kind)s：%(project)s") % {
            "kind": self.get_kind_display(),
            "project": self.project.name,
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
