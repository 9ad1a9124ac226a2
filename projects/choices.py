"""Phases of projects, the plan tables, the traffic light; named groups of them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    PREPARING = "preparing", _("前期")
    UNDER_CONSTRUCTION = "under_construction", _("在建")
    COMPLETED = "completed", _("竣工")
    IN_OPERATION = "in_operation", _("投运")
    SUSPENDED = "suspended", _("停缓建")
    CANCELLED = "cancelled", _("取消")


NOT_REPORTED_LABEL = _("未填报")
# 在建 as the plan's offices count it: the project's first year, or a later one.
NEW_START_LABEL = _("在建（新开工）")
CONTINUING_LABEL = _("在建（续建）")


def phase_label(
    phase: str, *, year: int | None = None, start_year: int | None = None
) -> str:
    """The words for a phase, the same on every page, filter and export.

    在建 is said with the kind of year where the year is known, as the plan's
    offices count it: 在建（新开工） in the project's first year, 在建（续建） after.
    Where no year is in view (a filter, a phase column of projects) it is 在建,
    which both begin with. No phase yet reads 未填报.
    """
    if not phase:
        return str(NOT_REPORTED_LABEL)
    if phase == Phase.UNDER_CONSTRUCTION and year is not None and start_year:
        return str(NEW_START_LABEL if year == start_year else CONTINUING_LABEL)
    return str(Phase(phase).label)


class ProjectStatus(models.TextChoices):
    """Where a project stands in the portfolio (the API's ``status``)."""

    ACTIVE = "active", _("在册")
    REMOVED = "removed", _("调出")
    RESERVE = "reserve", _("储备")


# Projects that are on a plan's list (counted, tracked, reported on).
LISTED_STATUSES = frozenset({ProjectStatus.ACTIVE})


class AdjustmentKind(models.TextChoices):
    """The kinds of 项目调整."""

    ADD = "add", _("增补")
    REMOVE = "remove", _("调出")
    REPLACE = "replace", _("替换")
    CHANGE = "change", _("变更")


# Adjustments that name an existing project to act on.
ADJUSTMENTS_ON_PROJECT = frozenset(
    {AdjustmentKind.REMOVE, AdjustmentKind.REPLACE, AdjustmentKind.CHANGE}
)
# Adjustments that put a project (new, or from the reserve) into a table.
ADJUSTMENTS_ADDING = frozenset({AdjustmentKind.ADD, AdjustmentKind.REPLACE})


# A finished project: no further year records are opened for it.
FINISHED_PHASES = frozenset({Phase.COMPLETED, Phase.IN_OPERATION, Phase.CANCELLED})
# Phases in which the project counts as done for the "past its end year" rule.
DONE_PHASES = FINISHED_PHASES


class HealthLight(models.TextChoices):
    """The traffic light (红绿灯); ordered from best to worst by ``HEALTH_ORDER``."""

    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")
