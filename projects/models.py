"""Major projects (表1–表7) and their year records (年度记录)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.choices import ProgressCadence
from portfolio.models import Cluster, Department, District, Plan, Sector

from .choices import (
    AttachmentKind,
    HealthLight,
    HealthRuleKind,
    Phase,
    ProblemState,
    ProjectTable,
    ReviewState,
)


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


# =============================================================================
# Project dossier (issue 9): money and people, in-year progress updates,
# coordination problems (问题清单), attachments and the traffic light (红绿灯).
# Written only through projects.dossier / projects.attachments / projects.health.
# =============================================================================

_NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]
_PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
# Mobile (11 digits) or landline with area code and optional extension.
_PHONE = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$",
    _("请填写11位手机号或带区号的固定电话，如 0827-5261234。"),
)


def _money(label: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=14, decimal_places=2, validators=_NOT_NEGATIVE, **kwargs
    )


class ProjectDossier(models.Model):
    """A project's money and people (项目档案), kept by the project's clerks.

    The five sources must add up to the total; all five at zero means the total
    is not broken down yet. Contact person and phone are personal data, shown
    only within the project's scope (``projects.dossier.PERSONAL_FIELDS``).
    """

    project = models.OneToOneField(
        Project,
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="dossier",
    )
    total_investment = _money(_("总投资（万元）"), null=True, blank=True)
    fiscal_funds = _money(_("财政资金（万元）"), default=Decimal("0"))
    special_bonds = _money(_("专项债券（万元）"), default=Decimal("0"))
    bank_loans = _money(_("银行贷款（万元）"), default=Decimal("0"))
    social_capital = _money(_("社会资本（万元）"), default=Decimal("0"))
    other_funds = _money(_("其他资金（万元）"), default=Decimal("0"))
    owner_unit = models.CharField(_("项目业主"), max_length=200, blank=True)
    responsible_leader = models.CharField(_("包联领导"), max_length=100, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(
        _("联系电话"), max_length=30, blank=True, validators=[_PHONE]
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    SOURCE_FIELDS = (
        "fiscal_funds",
        "special_bonds",
        "bank_loans",
        "social_capital",
        "other_funds",
    )

    class Meta:
        verbose_name = _("项目档案")
        verbose_name_plural = _("项目档案")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        total_investment__isnull=False,
                        total_investment=models.F("fiscal_funds")
                        + models.F("special_bonds")
                        + models.F("bank_loans")
                        + models.F("social_capital")
                        + models.F("other_funds"),
                    )
                    | models.Q(
                        fiscal_funds=0,
                        special_bonds=0,
                        bank_loans=0,
                        social_capital=0,
                        other_funds=0,
                    )
                ),
                name="dossier_sources_add_up",
                violation_error_message=_("资金来源合计须等于总投资。"),
            ),
            models.CheckConstraint(
                condition=models.Q(
                    fiscal_funds__gte=0,
                    special_bonds__gte=0,
                    bank_loans__gte=0,
                    social_capital__gte=0,
                    other_funds__gte=0,
                ),
                name="dossier_sources_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} 档案"

    @property
    def sources_total(self) -> Decimal:
        return sum(
            (getattr(self, name) or Decimal("0") for name in self.SOURCE_FIELDS),
            Decimal("0"),
        )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        sources = self.sources_total
        if sources == 0:
            return  # not broken down yet: the total alone is fine
        if self.total_investment is None:
            raise ValidationError(
                {"total_investment": _("已填写资金来源，请同时填写总投资。")}
            )
        if sources != self.total_investment:
            parts = "＋".join(
                f"{self._meta.get_field(name).verbose_name.split('（')[0]} "
                f"{getattr(self, name)}"
                for name in self.SOURCE_FIELDS
            )
            raise ValidationError(
                {
                    "total_investment": _(
                        "资金来源合计 %(sources)s 万元（%(parts)s）与总投资 "
                        "%(total)s 万元不一致，相差 %(gap)s 万元；请核对后重新填写。"
                    )
                    % {
                        "sources": sources,
                        "parts": parts,
                        "total": self.total_investment,
                        "gap": abs(self.total_investment - sources),
                    }
                }
            )


class ProgressUpdate(models.Model):
    """One period's progress (月度/季度调度) within a year record.

    Its cumulative figures feed the year record (actual investment, percent
    complete); the yearly report stays what supervisors review. A cumulative
    figure lower than the previous period's needs ``decrease_reason``.
    """

    year_record = models.ForeignKey(
        YearRecord,
        verbose_name=_("年度记录"),
        on_delete=models.CASCADE,
        related_name="progress_updates",
    )
    period = models.CharField(
        _("报告期"), max_length=10, help_text=_("如“2026-03”（月）或“2026-Q1”（季）。")
    )
    cadence = models.CharField(
        _("调度频次"), max_length=20, choices=ProgressCadence.choices
    )
    period_start = models.DateField(_("报告期起"))
    period_end = models.DateField(_("报告期止"))
    due_date = models.DateField(_("报送截止日"))
    completed_investment = _money(_("本期完成投资（万元）"), default=Decimal("0"))
    cumulative_investment = _money(
        _("本年累计完成投资（万元）"),
        help_text=_("1月至本期末累计；低于上期时须说明原因。"),
    )
    physical_progress = models.TextField(_("形象进度"))
    percent_complete = models.DecimalField(
        _("形象进度（%）"), max_digits=5, decimal_places=2, validators=_PERCENT
    )
    problems = models.TextField(_("需协调解决的问题"), blank=True)
    decrease_reason = models.TextField(
        _("累计数下降原因"),
        blank=True,
        help_text=_("本期累计投资或形象进度低于上期时必填，如统计口径调整。"),
    )
    submitted_at = models.DateTimeField(_("报送时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("进度更新")
        verbose_name_plural = _("进度更新")
        ordering = ["year_record", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["year_record", "period"], name="one_update_a_period"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    cumulative_investment__gte=0, completed_investment__gte=0
                ),
                name="update_investment_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(percent_complete__gte=0, percent_complete__lte=100),
                name="update_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year_record.project} {self.period} 进度"


class CoordinationProblem(models.Model):
    """An item of the coordination list (问题清单): what blocks a project, who owns it.

    Raised from a progress update (or directly); moves open → being handled →
    solved by ``projects.workflow.PROBLEM_TRANSITIONS``.
    """

    project = models.ForeignKey(
        Project,
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="coordination_problems",
    )
    progress_update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("来源进度更新"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="raised_problems",
    )
    description = models.TextField(_("问题描述"))
    owner_department = models.ForeignKey(
        Department,
        verbose_name=_("牵头协调单位"),
        on_delete=models.PROTECT,
        related_name="coordination_problems",
    )
    due_date = models.DateField(_("要求解决时限"))
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=ProblemState.choices,
        default=ProblemState.OPEN,
        db_index=True,
    )
    raised_on = models.DateField(_("提出日期"))
    handling_since = models.DateTimeField(_("开始协调时间"), null=True, blank=True)
    solved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    resolution = models.TextField(_("解决情况"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("协调问题")
        verbose_name_plural = _("问题清单")
        ordering = ["state", "due_date", "id"]
        indexes = [models.Index(fields=["project", "state", "raised_on"])]

    def __str__(self) -> str:
        text = (
            self.description
            if len(self.description) <= 30
            else (self.description[:30] + "…")
        )
        return f"{self.project.get_table_display()}-{self.project.number} {text}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """Files live under the project's code; the name is random (never the user's)."""
    return f"dossier/{instance.project.code}/{filename}"


class Attachment(models.Model):
    """A site photo or a document of a project or of one of its progress updates.

    Stored through Django's storage API and served only by a view that checks the
    project's scope; its type was checked by content when uploaded.
    """

    project = models.ForeignKey(
        Project,
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    progress_update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("所属进度更新"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    kind = models.CharField(_("类别"), max_length=20, choices=AttachmentKind.choices)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    file = models.FileField(_("文件"), upload_to=attachment_upload_to, max_length=300)
    thumbnail = models.FileField(
        _("缩略图"), upload_to=attachment_upload_to, max_length=300, blank=True
    )
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("照片和附件")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.title or self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class HealthRule(models.Model):
    """A traffic-light rule that supervisors read and change in the admin.

    A rule fires when the project's measure is *more than* the threshold
    (percent behind plan, days overdue, days open, years past the end year);
    the project's light is the worst light among its fired rules.
    """

    kind = models.CharField(_("规则"), max_length=30, choices=HealthRuleKind.choices)
    threshold = models.DecimalField(
        _("阈值"),
        max_digits=8,
        decimal_places=2,
        validators=_NOT_NEGATIVE,
        help_text=_("超过该值即触发：投资落后按%计，逾期和未解决按天计，超期按年计。"),
    )
    light = models.CharField(
        _("触发灯色"),
        max_length=10,
        choices=[c for c in HealthLight.choices if c[0] != HealthLight.GREEN],
    )
    active = models.BooleanField(_("启用"), default=True)
    note = models.TextField(_("说明"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    UNITS = {
        HealthRuleKind.INVESTMENT_BEHIND: "%",
        HealthRuleKind.UPDATE_OVERDUE: "天",
        HealthRuleKind.PROBLEM_OPEN: "天",
        HealthRuleKind.PAST_END_YEAR: "年",
    }

    class Meta:
        verbose_name = _("红绿灯规则")
        verbose_name_plural = _("红绿灯规则")
        ordering = ["kind", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "light"], name="one_rule_a_light"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def unit(self) -> str:
        return self.UNITS[HealthRuleKind(self.kind)]

    @property
    def text(self) -> str:
        """The rule in a supervisor's words: 进度更新逾期超过 15 天 → 红灯."""
        threshold = self.threshold.normalize()
        threshold = f"{threshold:f}"
        space = "" if self.unit == "%" else " "
        return (
            f"{HealthRuleKind(self.kind).label}超过 {threshold}{space}{self.unit}"
            f" → {HealthLight(self.light).label}"
        )


class ProjectHealth(models.Model):
    """A project's stored traffic light and its reasons, kept by projects.health.

    Stored (not computed per request) so lists can filter on it and a change to
    red can be noticed once.
    """

    project = models.OneToOneField(
        Project,
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="health",
    )
    light = models.CharField(
        _("红绿灯"), max_length=10, choices=HealthLight.choices, db_index=True
    )
    reasons = models.JSONField(_("原因"), default=list, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))
    light_since = models.DateTimeField(_("本灯色起始时间"))

    class Meta:
        verbose_name = _("项目红绿灯")
        verbose_name_plural = _("项目红绿灯")

    def __str__(self) -> str:
        return f"{self.project_id} {self.get_light_display()}"


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
    PROGRESS_OVERDUE = "progress_overdue", _("进度更新逾期未报")
    HEALTH_RED = "health_red", _("项目亮红灯")
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
