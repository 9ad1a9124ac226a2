"""Major projects (表1–表7) and their year records (年度记录)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.fields import BoundedTextField
from portfolio.models import (
    Cluster,
    Department,
    District,
    Plan,
    ReviewedModel,
    Sector,
)
from projects.choices import AdjustmentKind, Phase, ProjectStatus, phase_label


class PlanTable(models.Model):
    """One of a plan's project tables (表N): its number, title and sector.

    Plans are data: the 14th plan's 表1–表7 are seven rows, a workbook-loaded
    plan brings its own.
    """

    plan = models.ForeignKey(
        Plan, verbose_name=_("规划"), on_delete=models.CASCADE, related_name="tables"
    )
    number = models.PositiveSmallIntegerField(_("表号"))
    title = models.CharField(_("表名"), max_length=200)
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("产业"),
        on_delete=models.PROTECT,
        related_name="plan_tables",
    )

    class Meta:
        verbose_name = _("项目表")
        verbose_name_plural = _("项目表")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"], name="plan_table_number"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """表N, as the plan prints it."""
        return _("表%(number)s") % {"number": self.number}


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
    table = models.ForeignKey(
        PlanTable,
        verbose_name=_("项目表"),
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
        help_text=_("储备项目不属于任何项目表。"),
    )
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
    content = BoundedTextField(_("建设规模及内容"))
    phase = models.CharField(
        _("当前阶段"), max_length=20, choices=Phase.choices, blank=True, default=""
    )
    status = models.CharField(
        _("项目状态"),
        max_length=20,
        choices=ProjectStatus.choices,
        default=ProjectStatus.ACTIVE,
        db_index=True,
    )
    continues = models.OneToOneField(
        "self",
        verbose_name=_("续建自"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="continued_by",
        help_text=_("上一规划中的同一项目（续建）。"),
    )
    seed = models.JSONField(_("规划原始值"), default=dict, blank=True, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("重大项目")
        verbose_name_plural = _("重大项目")
        ordering = ["plan", "table_id", "number"]
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
        return f"{self.reference} {self.name}"

    @property
    def reference(self) -> str:
        """How people cite the project: its table and number, as the plan prints
        them (表1-1). ``code`` (t1-001) is the key machines use (API, URLs).
        A reserve project, in no table, is cited by its code."""
        if self.table_id is None:
            return self.code
        return f"{self.table.label}-{self.number}"

    @property
    def phase_label(self) -> str:
        """The current phase in the words of every page (在建（续建）…), as of
        this year."""
        return phase_label(
            self.phase, year=timezone.localdate().year, start_year=self.start_year
        )

    def history_display(self, key: str, value, entry) -> str | None:
        """A phase in the history reads as it did in the year of the change."""
        if key == "phase":
            year = timezone.localtime(entry.created_at).year
            return phase_label(value, year=year, start_year=self.start_year)
        return None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": _("完工年不能早于开工年。")})


class YearRecord(ReviewedModel):
    """A project's report for one calendar year, with its own review workflow.

    The review fields (state, timestamps, return reason, version) come from
    ``portfolio.models.ReviewedModel``.
    """

    project = models.ForeignKey(
        Project,
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="year_records",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
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
    progress = BoundedTextField(_("进展情况"), blank=True)
    problems = BoundedTextField(_("存在问题"), blank=True)
    next_steps = BoundedTextField(_("下一步计划"), blank=True)
    due_date = models.DateField(_("报送截止日"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("年度记录")
        verbose_name_plural = _("年度记录")
        # ``table_id``, not the table's number: no outer join, so that the
        # rows can be locked (FOR UPDATE) in this order.
        ordering = ["project__plan", "project__table_id", "project__number", "year"]
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

    # What the history reads with each record (``portfolio.history``).
    history_related = ("project",)

    def __str__(self) -> str:
        return _("%(reference)s %(year)s年") % {
            "reference": self.project.reference,
            "year": self.year,
        }

    @property
    def phase_label(self) -> str:
        """The phase as every page says it: 在建（新开工） in the project's first
        year, 在建（续建） after."""
        return phase_label(
            self.phase, year=self.year, start_year=self.project.start_year
        )

    def history_display(self, key: str, value, entry) -> str | None:
        """The record's phase in the history, in the words of its year."""
        if key == "phase":
            return phase_label(
                value, year=self.year, start_year=self.project.start_year
            )
        return None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.phase in (Phase.COMPLETED, Phase.IN_OPERATION) and (
            self.percent_complete is None or self.percent_complete != 100
        ):
            errors["percent_complete"] = _("项目已竣工或投运时，形象进度须为100%。")
        if errors:
            raise ValidationError(errors)


class Adjustment(ReviewedModel):
    """A request to change a plan's list (项目调整): add, remove, replace, change.

    A clerk proposes it with a reason and a document reference (文号); a
    supervisor approves or returns it through ``portfolio.review`` like a
    report; on approval ``projects.adjustments`` applies it. ``payload`` holds
    the new project's fields (add, replace) or the changed plan fields (change).
    """

    plan = models.ForeignKey(
        Plan, verbose_name=_("规划"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("调整类型"), max_length=20, choices=AdjustmentKind)
    project = models.ForeignKey(
        Project,
        verbose_name=_("调整项目"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="adjustments",
        help_text=_("调出、替换、变更的项目；增补储备项目时为该储备项目。"),
    )
    table = models.ForeignKey(
        PlanTable,
        verbose_name=_("目标项目表"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    result = models.ForeignKey(
        Project,
        verbose_name=_("新增项目"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    reason = BoundedTextField(_("调整理由"))
    document_ref = models.CharField(_("文号"), max_length=100, blank=True)
    payload = models.JSONField(_("调整内容"), default=dict, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("项目调整")
        verbose_name_plural = _("项目调整")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        target = self.project.reference if self.project_id else ""
        return _("%(kind)s %(target)s") % {
            "kind": self.get_kind_display(),
            "target": target,
        }
