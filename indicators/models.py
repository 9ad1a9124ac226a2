"""The plan's quantified targets (考核指标) and what each year must reach."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.models import Department, Plan, Sector

from .choices import Direction, TargetKind


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

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["plan", "order"]

    def __str__(self) -> str:
        return self.name


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

    class Meta:
        verbose_name = _("指标目标")
        verbose_name_plural = _("指标目标")
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "kind"], name="one_target_per_kind_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year or '规划期'}：{self.text}"
