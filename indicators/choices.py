"""Kinds of target, the direction in which an indicator improves, and progress."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.choices import ReviewState


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", _("越高越好")
    LOWER_IS_BETTER = "lower_is_better", _("越低越好")
    RANGE = "range", _("区间")


class TargetKind(models.TextChoices):
    """How the plan words a target; ``progress.py`` judges each kind its own way."""

    # 专栏7: a figure for each year 2021–2025.
    YEARLY = "yearly", _("年度目标值")
    # “年均增长8%以上/左右”: kept as an average over the plan, never split by year.
    ANNUAL_AVERAGE_GROWTH = "annual_average_growth", _("年均增长")
    # “以上”“突破”“超过”“达到”“不低于”: a level to reach by the end of the plan.
    AT_LEAST = "at_least", _("达到或超过")
    # “以内”“以下”: a ceiling to stay under; lower is better.
    AT_MOST = "at_most", _("控制在以内")
    # “2至3家”: value .. value_max.
    RANGE = "range", _("区间")
    # “5%左右”: a level near ``value``, within the target's tolerance.
    APPROXIMATE = "approximate", _("约数（左右）")


class Measure(models.TextChoices):
    """What a reported value of the indicator is."""

    # The level in that year: visitors of the year, a share of GDP, firms operating.
    LEVEL = "level", _("年度水平值")
    # Counted since the plan began (新建、创建、引进…): zero at the end of 2020.
    CUMULATIVE = "cumulative", _("规划期累计值")
    # A growth rate (%): the department reports the year's rate, or the underlying
    # total (``quantity_unit``) from which the rate follows year on year.
    RATE = "rate", _("增速")


class ProgressStatus(models.TextChoices):
    MET = "met", _("已达标")
    ON_TRACK = "on_track", _("进度正常")
    BEHIND = "behind", _("滞后")
    NOT_REPORTED = "not_reported", _("未报送")


# A value counts as reported once submitted; a draft or a returned value does not.
REPORTED_STATES = frozenset({ReviewState.SUBMITTED, ReviewState.APPROVED})
# The department may still change the figures in these states.
EDITABLE_STATES = frozenset({ReviewState.DRAFT, ReviewState.RETURNED})
# Worst first: the status of an indicator in a year is the worst of its targets'.
STATUS_SEVERITY = {
    ProgressStatus.BEHIND: 3,
    ProgressStatus.NOT_REPORTED: 2,
    ProgressStatus.ON_TRACK: 1,
    ProgressStatus.MET: 0,
}
