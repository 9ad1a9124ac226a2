"""What the reporting app keeps: the ranking's weights and the offices' templates."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

_WEIGHT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _weight(label, default: str):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=_WEIGHT,
        help_text=_("0–100；各项权重之和不必为100，得分按权重归一。"),
    )


class RankingWeights(models.Model):
    """The weights of the ranking (赛马比拼): one row, edited in the admin.

    A unit's score is the weighted mean of its rates (each capped at 100 %),
    the investment rate read against 序时进度, times 100.
    """

    start_rate = _weight(_("开工率权重"), "25")
    investment_rate = _weight(_("投资完成率（对序时进度）权重"), "35")
    completion_rate = _weight(_("竣工率权重"), "20")
    on_time_rate = _weight(_("按时报送率权重"), "20")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("赛马比拼权重")
        verbose_name_plural = _("赛马比拼权重")

    def __str__(self) -> str:
        return str(_("赛马比拼权重"))

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not any(getattr(self, name) for name in WEIGHT_FIELDS):
            raise ValidationError(_("至少一项权重须大于0。"))


WEIGHT_FIELDS = ("start_rate", "investment_rate", "completion_rate", "on_time_rate")


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("月度调度通报")
    MIDTERM = "midterm", _("中期评估报告")
    FINAL = "final", _("终期评估报告")


def _template_path(instance, filename: str) -> str:
    return f"report-templates/{instance.kind}/{filename}"


class ReportTemplate(models.Model):
    """An office's own Word template (docxtpl) for one kind of document.

    The active one of a kind is used; without one, the shipped template. A
    template is accepted only when it renders (``reporting.templates``).
    """

    kind = models.CharField(_("文档类别"), max_length=20, choices=ReportKind.choices)
    name = models.CharField(_("模板名称"), max_length=100)
    file = models.FileField(_("模板文件（.docx）"), upload_to=_template_path)
    active = models.BooleanField(_("启用"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("文档模板")
        verbose_name_plural = _("文档模板")
        ordering = ["kind", "-uploaded_at"]

    def __str__(self) -> str:
        return _("%(kind)s：%(name)s") % {
            "kind": self.get_kind_display(),
            "name": self.name,
        }
