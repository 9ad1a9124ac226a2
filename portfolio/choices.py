"""Enumerations of the portfolio app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DistrictKind(models.TextChoices):
    DISTRICT = "district", _("区")
    COUNTY = "county", _("县")
    DEVELOPMENT_ZONE = "development_zone", _("经济开发区")


class SectorTier(models.TextChoices):
    PILLAR = "pillar", _("支柱型服务业")
    GROWTH = "growth", _("成长型服务业")
    PUBLIC = "public", _("公共服务业")


class ClusterLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县（区）级")


class DepartmentKind(models.TextChoices):
    DISTRICT_GOVERNMENT = "district_government", _("县（区）政府")
    MUNICIPAL_BUREAU = "municipal_bureau", _("市级部门")


class Role(models.TextChoices):
    """The three roles; each is a Django group of the same (Chinese) name."""

    CLERK = "clerk", _("填报员")
    SUPERVISOR = "supervisor", _("督查员")
    ADMINISTRATOR = "administrator", _("管理员")


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    SUBMIT = "submit", _("提交")
    APPROVE = "approve", _("审核通过")
    RETURN = "return", _("退回")
    REOPEN = "reopen", _("重新打开")
    PHASE = "phase", _("阶段变更")
    LOAD = "load", _("导入规划数据")


class ProgressCadence(models.TextChoices):
    """How often a plan's projects report in-year progress (月度/季度调度)."""

    MONTHLY = "monthly", _("按月")
    QUARTERLY = "quarterly", _("按季度")


class ApiScope(models.TextChoices):
    """What an external system's credentials allow."""

    READ = "read", _("只读")
    WRITE = "write", _("读写")


# --- The review mechanism shared by every reviewed record -------------------


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("填报中")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已审核")


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("提交")
    APPROVE = "approve", _("审核通过")
    RETURN = "return", _("退回")
    REOPEN = "reopen", _("重新打开")


# The clerk may still change the figures in these states.
EDITABLE_STATES = frozenset({ReviewState.DRAFT, ReviewState.RETURNED})
# The report is still owed by the clerk in these states (overdue after the due date).
UNSUBMITTED_STATES = frozenset({ReviewState.DRAFT, ReviewState.RETURNED})
