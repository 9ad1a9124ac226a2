"""What the reporting app keeps: the ranking's weights and the offices' templates."""

from __future__ import annotations

from decimal import Decimal

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
