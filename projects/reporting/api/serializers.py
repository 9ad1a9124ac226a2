"""The dashboard's JSON as the schema shows it (``GET /api/v1/dashboard/``).

``projects.reporting.dashboard.dashboard_summary`` builds the JSON; these
serializers only describe it, so that a client generated from the schema gets
typed objects rather than a bare dictionary.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portfolio.choices import ReviewState
from projects.choices import HealthLight, Phase
from projects.reporting.dashboard import NOT_REPORTED_KEY, OVERDUE_KINDS


def _counts(name: str, keys, help_text) -> serializers.Serializer:
    """An object with one integer per key (a phase, a state, a light…); ``name``
    names its component in the schema."""
    fields = {key: serializers.IntegerField() for key in keys}
    return type(name, (serializers.Serializer,), fields)(help_text=help_text)


PHASE_KEYS = [str(p) for p in Phase] + [NOT_REPORTED_KEY]


class PhaseColumnSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=PHASE_KEYS)
    label = serializers.CharField()


class MatrixRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("产业或县区的 id"))
    name = serializers.CharField()
    counts = _counts("PhaseCounts", PHASE_KEYS, _("各阶段的项目数"))
    total = serializers.IntegerField()


class MatrixSerializer(serializers.Serializer):
    """Projects counted by phase (columns) × sector or district (rows)."""

    phases = PhaseColumnSerializer(many=True)
    rows = MatrixRowSerializer(many=True)
    totals = _counts("PhaseTotals", PHASE_KEYS, _("各阶段合计"))
    total = serializers.IntegerField()


class OverdueItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(OVERDUE_KINDS))
    subject = serializers.CharField()
    detail = serializers.CharField()
    since = serializers.DateField()
    days = serializers.IntegerField()


class OverdueSerializer(serializers.Serializer):
    counts = _counts("OverdueCounts", list(OVERDUE_KINDS), _("各类逾期的数量"))
    total = serializers.IntegerField()
    most_urgent = OverdueItemSerializer(many=True, help_text=_("逾期最久的若干项"))


class InvestmentRowSerializer(serializers.Serializer):
    sector = serializers.CharField(help_text=_("产业名称"))
    records = serializers.IntegerField()
    planned = serializers.DecimalField(max_digits=16, decimal_places=2)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2)


class InvestmentTotalSerializer(serializers.Serializer):
    planned = serializers.DecimalField(max_digits=16, decimal_places=2)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2)


class IndicatorProgressSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    status = serializers.CharField()
    expected = serializers.CharField(allow_null=True)
    actual = serializers.CharField(allow_null=True)


class IndicatorSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    targets = serializers.DictField(
        child=serializers.CharField(), help_text=_("各年度目标值（键为年度）")
    )
    annual_average_growth = serializers.CharField(
        allow_null=True, help_text=_("年均增长目标的原文；没有时为 null")
    )
    progress = IndicatorProgressSerializer(
        allow_null=True, help_text=_("进度判断；尚无数据时为 null")
    )


class DashboardSerializer(serializers.Serializer):
    """The dashboard within the caller's scope, for one year."""

    plan = serializers.CharField(allow_null=True, help_text=_("所示规划的编码"))
    year = serializers.IntegerField()
    today = serializers.DateField()
    scope = serializers.ChoiceField(
        choices=["all", "departments"],
        help_text=_("all：全市；departments：限于调用者负责的单位"),
    )
    projects = serializers.IntegerField()
    phase_by_sector = MatrixSerializer()
    phase_by_district = MatrixSerializer()
    reports_by_state = _counts(
        "ReportStateCounts",
        [str(s) for s in ReviewState],
        _("本年度报告按审核状态计数"),
    )
    reports_total = serializers.IntegerField()
    lights = _counts(
        "LightCounts",
        [str(light) for light in HealthLight] + ["none"],
        _("项目按红绿灯计数（none：尚未计算）"),
    )
    overdue = OverdueSerializer()
    investment_by_sector = InvestmentRowSerializer(many=True)
    investment_total = InvestmentTotalSerializer()
    indicators = IndicatorSummarySerializer(many=True)
