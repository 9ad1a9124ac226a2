"""Kinds of target and the direction in which an indicator improves."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", _("越高越好")
    LOWER_IS_BETTER = "lower_is_better", _("越低越好")
    RANGE = "range", _("区间")


class TargetKind(models.TextChoices):
    YEARLY = "yearly", _("年度目标值")
    ANNUAL_AVERAGE_GROWTH = "annual_average_growth", _("年均增长")
    AT_LEAST = "at_least", _("达到或超过")
    AT_MOST = "at_most", _("控制在以内")
    RANGE = "range", _("区间")
