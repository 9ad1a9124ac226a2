"""The plan's quantified targets (考核指标) and what each year must reach."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.fields import SHORT_TEXT, BoundedTextField
from portfolio.models import Department, District, Plan, ReviewedModel, Sector

from .choices import Direction, Measure, TargetKind


class Indicator(models.Model):
    """A measured quantity the plan sets targets for, e.g. 服务业增加值占GDP的比重."""

    plan = models.ForeignKey(
        Plan,
        verbose_name=_("规划"),
        on_delete=models.PROTECT,
        related_name="indicators",
    )
    code = models.SlugField(_("编码"), max_length=60, unique=True)
    name = models.CharField(_("指标名称"), max_length=100)
    unit = models.CharField(_("单位"), max_length=20)
    direction = models.CharField(
        _("方向"),
        max_length=20,
        choices=Direction.choices,
        default=Direction.HIGHER_IS_BETTER,
    )
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("产业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicators",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicators",
    )
    source = models.CharField(_("出处"), max_length=100, blank=True)
    source_text = models.TextField(_("原文"), blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("基期年"), null=True, blank=True)
    baseline_value = models.DecimalField(
        _("基期值"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    measure = models.CharField(
        _("填报口径"),
        max_length=20,
        choices=Measure.choices,
        default=Measure.LEVEL,
        help_text=_(
            "年度水平值：当年的数值；规划期累计值：自2021年起累计完成数；"
            "增速：当年增速（%），或填报总量由系统按相邻年度计算增速。"
        ),
    )
    quantity_unit = models.CharField(
        _("总量单位"),
        max_length=20,
        blank=True,
        help_text=_("增速类指标所对应总量的单位（如亿元）；基期值即该总量。"),
    )
    district = models.ForeignKey(
        District,
        verbose_name=_("县区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicators",
        help_text=_("仅适用于某一县区的指标（如“每个县（区）建设…”）。"),
    )
    baseline_text = models.CharField(
        _("基期原文"), max_length=200, blank=True, help_text=_("规划原文中的基期表述。")
    )
    # The values last loaded from fixtures/indicators.json: a reload refreshes only
    # fields still equal to them, so an administrator's correction is kept.
    seed = models.JSONField(_("规划原始值"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["plan", "order"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.baseline_value is not None and not self.baseline_year:
            raise ValidationError({"baseline_year": _("填写基期值时须注明基期年。")})


class IndicatorTarget(models.Model):
    """One target of an indicator: for a year, or (year empty) for the whole plan."""

    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("指标"),
        on_delete=models.CASCADE,
        related_name="targets",
    )
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    kind = models.CharField(_("目标类型"), max_length=30, choices=TargetKind.choices)
    value = models.DecimalField(_("目标值"), max_digits=14, decimal_places=4)
    value_max = models.DecimalField(
        _("目标上限"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    approximate = models.BooleanField(_("约数（左右）"), default=False)
    tolerance = models.DecimalField(
        _("容差"),
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("“左右”目标允许的偏差（与目标值同单位）。"),
    )
    text = models.CharField(_("原文表述"), max_length=200)
    strict = models.BooleanField(
        _("不含本数"),
        default=False,
        help_text=_("“超过”“突破”：须严格大于目标值；“以上”“达到”“以内”含本数。"),
    )
    source = models.CharField(
        _("出处"),
        max_length=100,
        blank=True,
        help_text=_("规划中的章节，如“四、（三）”。"),
    )
    source_text = models.TextField(_("原文句子"), blank=True)
    seed = models.JSONField(_("规划原始值"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("指标目标")
        verbose_name_plural = _("指标目标")
        ordering = ["indicator", "year", "id"]
        constraints = [
            # Two wordings of one goal (e.g. retail growth “8%以上” in 二、（三） and
            # “8%左右” in 四、（三）) are two targets, told apart by their source.
            models.UniqueConstraint(
                fields=["indicator", "year", "kind", "source"],
                name="one_target_per_kind_year_source",
            ),
        ]

    def __str__(self) -> str:
        return _("%(indicator)s %(year)s：%(text)s") % {
            "indicator": self.indicator,
            "year": self.year or _("规划期"),
            "text": self.text,
        }

    def clean(self) -> None:
        errors = {}
        if self.kind == TargetKind.RANGE:
            if self.value_max is None:
                errors["value_max"] = _("区间目标须填写目标上限。")
            elif self.value is not None and self.value_max < self.value:
                errors["value_max"] = _("目标上限不能小于目标值（下限）。")
        elif self.value_max is not None:
            errors["value_max"] = _("只有区间目标才有目标上限。")
        if self.kind == TargetKind.YEARLY and not self.year:
            errors["year"] = _("年度目标须指定年度。")
        if self.kind == TargetKind.APPROXIMATE and not self.approximate:
            errors["approximate"] = _("“左右”目标须勾选约数。")
        if self.approximate and self.tolerance is None:
            errors["tolerance"] = _("“左右”目标须写明容差。")
        if self.tolerance is not None and self.tolerance < 0:
            errors["tolerance"] = _("容差不能为负数。")
        if self.approximate and self.strict:
            errors["strict"] = _("“左右”目标不能同时“不含本数”。")
        direction = self.indicator.direction if self.indicator_id else None
        if self.kind == TargetKind.AT_LEAST and direction == Direction.LOWER_IS_BETTER:
            errors["kind"] = _("越低越好的指标不能设“达到或超过”目标。")
        if self.kind == TargetKind.AT_MOST and direction == Direction.HIGHER_IS_BETTER:
            errors["kind"] = _("越高越好的指标不能设“控制在以内”目标。")
        if errors:
            raise ValidationError(errors)


class IndicatorValue(ReviewedModel):
    """A department's reported figure of an indicator for one year.

    It goes through the same review as a project's year record (draft → submitted →
    approved, or returned), using ``portfolio.review``'s transition table. A value
    is the level in ``value`` (in the indicator's unit, or for a growth indicator
    the underlying total in ``quantity_unit``) and/or the year's growth ``rate``.
    """

    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("指标"),
        on_delete=models.CASCADE,
        related_name="values",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(
        _("数值"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("指标单位下的当年数值；增速类指标填总量（可不填，改填增速）。"),
    )
    rate = models.DecimalField(
        _("增速（%）"),
        max_digits=9,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("比上年增长的百分数，如 7.9 表示增长7.9%。"),
    )
    source = models.CharField(
        _("数据来源"), max_length=200, blank=True, help_text=_("如“2023年统计公报”。")
    )
    reported_on = models.DateField(_("数据日期"), null=True, blank=True)
    note = BoundedTextField(_("说明"), blank=True, max_length=SHORT_TEXT)
    department = models.ForeignKey(
        Department,
        verbose_name=_("填报单位"),
        on_delete=models.PROTECT,
        related_name="indicator_values",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("指标年度值")
        verbose_name_plural = _("指标年度值")
        ordering = ["indicator__plan", "indicator__order", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year"], name="one_indicator_value_a_year"
            ),
        ]

    def __str__(self) -> str:
        return _("%(indicator)s %(year)s年") % {
            "indicator": self.indicator,
            "year": self.year,
        }

    def clean(self) -> None:
        errors = {}
        if self.value is not None and self.value < 0:
            errors["value"] = _("数值不能为负数。")
        if self.rate is not None and self.rate <= -100:
            errors["rate"] = _("增速须大于 -100%。")
        if errors:
            raise ValidationError(errors)

    def missing_for_submit(self) -> dict[str, str]:
        """What a submitted value must carry: a figure, its source and its date."""
        errors = {}
        measure = self.indicator.measure
        if self.value is None and self.rate is None:
            field = "rate" if measure == Measure.RATE else "value"
            errors[field] = _("提交前请填写数值或增速。")
        elif measure != Measure.RATE and self.value is None and not self._has_growth():
            errors["value"] = _("提交前请填写数值。")
        if not self.source.strip():
            errors["source"] = _("提交前请填写数据来源。")
        if self.reported_on is None:
            errors["reported_on"] = _("提交前请填写数据日期。")
        return errors

    def _has_growth(self) -> bool:
        # A level indicator may be reported by its growth rate alone when one of
        # its targets is a growth target (the level then follows from last year's).
        return (
            self.rate is not None
            and self.indicator.targets.filter(
                kind=TargetKind.ANNUAL_AVERAGE_GROWTH
            ).exists()
        )
