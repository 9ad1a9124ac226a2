"""Review states and phases of year records; named groups of them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("填报中")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已审核")


class Phase(models.TextChoices):
    PREPARING = "preparing", _("前期")
    UNDER_CONSTRUCTION = "under_construction", _("在建")
    COMPLETED = "completed", _("竣工")
    IN_OPERATION = "in_operation", _("投运")
    SUSPENDED = "suspended", _("停缓建")
    CANCELLED = "cancelled", _("取消")


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("提交")
    APPROVE = "approve", _("审核通过")
    RETURN = "return", _("退回")
    REOPEN = "reopen", _("重新打开")


class ProjectTable(models.IntegerChoices):
    TOURISM = 1, "表1"
    WELLNESS = 2, "表2"
    COMMERCE = 3, "表3"
    CULTURE = 4, "表4"
    HUMAN_RESOURCES = 5, "表5"
    EDUCATION = 6, "表6"
    MEDICAL = 7, "表7"


# The clerk may still change the figures in these states.
EDITABLE_STATES = frozenset({ReviewState.DRAFT, ReviewState.RETURNED})
# The report is still owed by the clerk in these states (overdue after the due date).
UNSUBMITTED_STATES = frozenset({ReviewState.DRAFT, ReviewState.RETURNED})
# A finished project: no further year records are opened for it.
FINISHED_PHASES = frozenset({Phase.COMPLETED, Phase.IN_OPERATION, Phase.CANCELLED})
# Phases in which the project counts as done for the "past its end year" rule.
DONE_PHASES = FINISHED_PHASES
