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
