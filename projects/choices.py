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


class ProjectTable(models.IntegerChoices):
    TOURISM = 1, _("表1")
    WELLNESS = 2, _("表2")
    COMMERCE = 3, _("表3")
    CULTURE = 4, _("表4")
    HUMAN_RESOURCES = 5, _("表5")
    EDUCATION = 6, _("表6")
    MEDICAL = 7, _("表7")


# A finished project: no further year records are opened for it.
FINISHED_PHASES = frozenset({Phase.COMPLETED, Phase.IN_OPERATION, Phase.CANCELLED})
# Phases in which the project counts as done for the "past its end year" rule.
DONE_PHASES = FINISHED_PHASES


class HealthLight(models.TextChoices):
    """The traffic light (红绿灯); ordered from best to worst by ``HEALTH_ORDER``."""

    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")
