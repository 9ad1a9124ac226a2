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


# --- Project dossier (issue 9): problems, attachments, traffic light ----------


class ProblemState(models.TextChoices):
    """A coordination problem's state (问题清单): open → being handled → solved."""

    OPEN = "open", _("待协调")
    HANDLING = "handling", _("协调中")
    SOLVED = "solved", _("已解决")


class ProblemAction(models.TextChoices):
    HANDLE = "handle", _("开始协调")
    SOLVE = "solve", _("标记已解决")
    REOPEN = "reopen", _("重新打开")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("现场照片")
    APPROVAL = "approval", _("审批文件")
    ACCEPTANCE = "acceptance", _("验收证书")
    OTHER = "other", _("其他文件")


class HealthLight(models.TextChoices):
    """The traffic light (红绿灯); ordered from best to worst by ``HEALTH_ORDER``."""

    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")


class HealthRuleKind(models.TextChoices):
    INVESTMENT_BEHIND = "investment_behind", _("本年累计投资落后序时进度")
    UPDATE_OVERDUE = "update_overdue", _("进度更新逾期")
    PROBLEM_OPEN = "problem_open", _("协调问题未解决")
    PAST_END_YEAR = "past_end_year", _("完工年后仍未完成")


# A problem still blocking its project (counted by the traffic light).
UNSOLVED_PROBLEM_STATES = frozenset({ProblemState.OPEN, ProblemState.HANDLING})
# Worse lights win: the project's light is the worst light of its triggered rules.
HEALTH_ORDER = (HealthLight.GREEN, HealthLight.YELLOW, HealthLight.RED)
# Year records in these phases owe no in-year progress updates: nothing is built.
PROGRESS_EXEMPT_PHASES = FINISHED_PHASES | {Phase.SUSPENDED}
