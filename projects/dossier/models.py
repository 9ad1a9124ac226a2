"""The project dossier: money and people, in-year progress updates, coordination
problems (问题清单), attachments and the traffic light (红绿灯).

Written only through ``projects.dossier.services``, ``.attachments`` and ``.health``.
The tables keep the names they had in ``projects``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.choices import ProgressCadence
from portfolio.fields import SHORT_TEXT, BoundedTextField
from portfolio.models import Department
from projects.choices import HealthLight
from projects.models import Project, YearRecord

from .choices import AttachmentKind, HealthRuleKind, ProblemState

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
        db_table = "projects_projectdossier"
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
        return gettext("%(project)s 档案") % {"project": self.project}

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
            parts = gettext("＋").join(
                f"{self._meta.get_field(name).verbose_name.split(gettext('（'))[0]} "
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
    physical_progress = BoundedTextField(_("形象进度"))
    percent_complete = models.DecimalField(
        _("形象进度（%）"), max_digits=5, decimal_places=2, validators=_PERCENT
    )
    problems = BoundedTextField(_("需协调解决的问题"), blank=True)
    decrease_reason = BoundedTextField(
        _("累计数下降原因"),
        blank=True,
        max_length=SHORT_TEXT,
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
        db_table = "projects_progressupdate"
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
        return gettext("%(project)s %(period)s 进度") % {
            "project": self.year_record.project,
            "period": self.period,
        }


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
    description = BoundedTextField(_("问题描述"))
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
    resolution = BoundedTextField(_("解决情况"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        db_table = "projects_coordinationproblem"
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
        return f"{self.project.reference} {text}"


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
        db_table = "projects_attachment"
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
    note = BoundedTextField(_("说明"), blank=True, max_length=SHORT_TEXT)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    UNITS = {
        HealthRuleKind.INVESTMENT_BEHIND: "%",
        HealthRuleKind.UPDATE_OVERDUE: _("天"),
        HealthRuleKind.PROBLEM_OPEN: _("天"),
        HealthRuleKind.PAST_END_YEAR: _("年"),
    }

    class Meta:
        db_table = "projects_healthrule"
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
        return gettext("%(kind)s超过 %(threshold)s%(space)s%(unit)s → %(light)s") % {
            "kind": HealthRuleKind(self.kind).label,
            "threshold": threshold,
            "space": space,
            "unit": self.unit,
            "light": HealthLight(self.light).label,
        }


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
    # When the light or its reasons last changed: what the API's modified_at
    # reads (computed_at moves every day, even when nothing changed).
    changed_at = models.DateTimeField(_("最近变化时间"), null=True, blank=True)

    class Meta:
        db_table = "projects_projecthealth"
        verbose_name = _("项目红绿灯")
        verbose_name_plural = _("项目红绿灯")

    def __str__(self) -> str:
        return f"{self.project_id} {self.get_light_display()}"
