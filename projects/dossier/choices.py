"""Vocabulary of the dossier: problems, attachments, traffic-light rules."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.choices import FINISHED_PHASES, HealthLight, Phase


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
