"""Major projects (表1–表7) and their year records (年度记录)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.models import Cluster, Department, District, Plan, Sector

from .choices import Phase, ProjectTable, ReviewState


class Project(models.Model):
    """A row of one of the plan's major-project tables.

    Its stable key is (plan, table, number): numbers restart in each table.
    ``seed`` keeps the values last loaded from the plan so that a reload can tell
    a clerk's edit (kept) from an unchanged seed value (refreshed).
    """

    plan = models.ForeignKey(
        Plan, verbose_name=_("规划"), on_delete=models.PROTECT, related_name="projects"
    )
    code = models.SlugField(_("项目编码"), max_length=40, unique=True)
    table = models.PositiveSmallIntegerField(_("项目表"), choices=ProjectTable.choices)
    number = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("项目名称"), max_length=200)
    district = models.ForeignKey(
        District,
        verbose_name=_("县区"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("产业"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    clusters = models.ManyToManyField(
        Cluster, verbose_name=_("所属集聚区"), blank=True, related_name="projects"
    )
    period = models.CharField(
        _("建设年限"), max_length=20, help_text=_("规划原文，如“2021-2023”或“2021”。")
    )
    start_year = models.PositiveSmallIntegerField(_("开工年"))
    end_year = models.PositiveSmallIntegerField(_("完工年"))
    content = models.TextField(_("建设规模及内容"))
    phase = models.CharField(
        _("当前阶段"), max_length=20, choices=Phase.choices, blank=True, default=""
    )
    seed = models.JSONField(_("规划原始值"), default=dict, blank=True, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("重大项目")
        verbose_name_plural = _("重大项目")
        ordering = ["plan", "table", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "table", "number"], name="project_table_number"
            ),
            models.CheckConstraint(
                condition=models.Q(end_year__gte=models.F("start_year")),
                name="project_years_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_table_display()}-{self.number} {self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": _("完工年不能早于开工年。")})


class YearRecord(models.Model):
    """A project's report for one calendar year, with its own review workflow."""

    project = models.ForeignKey(
        Project,
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="year_records",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    state = models.CharField(
        _("审核状态"),
        max_length=20,
        choices=ReviewState.choices,
        default=ReviewState.DRAFT,
        db_index=True,
    )
    phase = models.CharField(
        _("年度阶段"),
        max_length=20,
        choices=Phase.choices,
        blank=True,
        default="",
        help_text=_("本年度末项目所处阶段；未填报时为空。"),
    )
    planned_investment = models.DecimalField(
        _("计划投资（万元）"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    actual_investment = models.DecimalField(
        _("完成投资（万元）"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("本年度实际完成投资，单位万元，不能为负数。"),
    )
    percent_complete = models.DecimalField(
        _("形象进度（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("0–100；竣工或投运时须为100。"),
    )
    progress = models.TextField(_("进展情况"), blank=True)
    problems = models.TextField(_("存在问题"), blank=True)
    next_steps = models.TextField(_("下一步计划"), blank=True)
    due_date = models.DateField(_("报送截止日"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("年度记录")
        verbose_name_plural = _("年度记录")
        ordering = ["project__plan", "project__table", "project__number", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year"], name="one_record_a_year"
            ),
            models.CheckConstraint(
                condition=models.Q(actual_investment__gte=0)
                | models.Q(actual_investment__isnull=True),
                name="actual_investment_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(percent_complete__gte=0, percent_complete__lte=100)
                | models.Q(percent_complete__isnull=True),
                name="percent_complete_0_100",
            ),
        ]
        indexes = [models.Index(fields=["year", "state"])]

    def __str__(self) -> str:
        return f"{self.project.get_table_display()}-{self.project.number} {self.year}年"

    @property
    def phase_label(self) -> str:
        """The phase as the plan's offices say it: 在建 is 新开工 in its first year."""
        if self.phase == Phase.UNDER_CONSTRUCTION:
            return "新开工" if self.year == self.project.start_year else "续建"
        return Phase(self.phase).label if self.phase else "未填报"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.phase in (Phase.COMPLETED, Phase.IN_OPERATION) and (
            self.percent_complete is None or self.percent_complete != 100
        ):
            errors["percent_complete"] = _("项目已竣工或投运时，形象进度须为100%。")
        if errors:
            raise ValidationError(errors)


# --- Deadline and overdue notices, their delivery (issue 5) -------------------
# The rules that create notices live in projects/rules.py, the delivery in
# projects/alerts.py.


class NoticeKind(models.TextChoices):
    """What a notice says; the order below is the digest's order (most urgent first)."""

    ESCALATION = "escalation", _("逾期升级")
    REPORT_OVERDUE = "report_overdue", _("年度报告逾期未报")
    RETURNED_OVERDUE = "returned_overdue", _("退回后逾期未重报")
    REVIEW_OVERDUE = "review_overdue", _("提交后逾期未审核")
    SCHEDULE_OVERDUE = "schedule_overdue", _("超过完工年仍未完工")
    LATE_START = "late_start", _("已到开工年仍在前期")
    REMINDER = "reminder", _("年度报告截止提醒")


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("群机器人")


class DigestStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    CANCELLED = "cancelled", _("已取消（事项均已解除）")


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


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
        return f"{self.get_channel_display()} → {target}（{self.item_count}项）"


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
        return f"{self.get_kind_display()}：{self.project.name}"

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
        verbose_name = _("群机器人投递")
        verbose_name_plural = _("群机器人投递")
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "notice"], name="webhook_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.webhook} ← {self.notice_id}"
