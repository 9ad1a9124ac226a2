"""What notices say and how they travel."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    """What a notice says; the order below is the digest's order (most urgent first)."""

    ESCALATION = "escalation", _("逾期升级")
    REPORT_OVERDUE = "report_overdue", _("年度报告逾期未报")
    RETURNED_OVERDUE = "returned_overdue", _("退回后逾期未重报")
    REVIEW_OVERDUE = "review_overdue", _("提交后逾期未审核")
    SCHEDULE_OVERDUE = "schedule_overdue", _("超过完工年仍未完工")
    LATE_START = "late_start", _("已到开工年仍在前期")
    PROGRESS_OVERDUE = "progress_overdue", _("进度更新逾期未报")
    HEALTH_RED = "health_red", _("项目亮红灯")
    REMINDER = "reminder", _("年度报告截止提醒")
    # Indicators (考核指标): told apart from the projects in a digest.
    INDICATOR_UNREPORTED = "indicator_unreported", _("考核指标逾期未报送")
    INDICATOR_UNREPORTED_LATE = (
        "indicator_unreported_late",
        _("考核指标宽限期后仍未报送"),
    )
    INDICATOR_BEHIND = "indicator_behind", _("考核指标进度滞后")


# Notices about an indicator rather than a project (``Notice.project`` is empty).
INDICATOR_KINDS = frozenset(
    {
        NoticeKind.INDICATOR_UNREPORTED,
        NoticeKind.INDICATOR_UNREPORTED_LATE,
        NoticeKind.INDICATOR_BEHIND,
    }
)


class NoticeLevel(models.IntegerChoices):
    """Who a notice is for: the people in charge, or, escalated, the administrators."""

    NORMAL = 1, _("一般")
    ESCALATED = 2, _("升级（管理员）")


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("群机器人")


class DigestStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    CANCELLED = "cancelled", _("已取消（事项均已解除）")


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class WebhookEventType(models.TextChoices):
    """What an outbound webhook subscription can hear of (``WebhookSubscription``)."""

    PROJECT_CREATED = "project.created", _("项目新建")
    PROJECT_CHANGED = "project.changed", _("项目信息变更")
    PROJECT_MOVED = "project.moved", _("项目调整县区、产业或责任单位")
    PROJECT_DELETED = "project.deleted", _("项目删除")
    YEAR_RECORD_STATE = "year_record.state_changed", _("年度记录状态变更")
    NOTICE_RAISED = "notice.raised", _("提醒与逾期通知")
    LIGHT_CHANGED = "project.light_changed", _("红绿灯变化")


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已送达")
    GIVEN_UP = "given_up", _("已放弃")
