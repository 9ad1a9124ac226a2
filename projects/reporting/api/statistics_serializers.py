"""The statistics' JSON as the schema shows it (built by ``summary``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..statistics import COUNTS, RATES


class FigureSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text=_("数量；金额为十进制字符串（万元）"))
    url = serializers.CharField(help_text=_("该数字背后的项目清单"))


class RateSerializer(serializers.Serializer):
    value = serializers.CharField(allow_null=True, help_text=_("0–1；无应计时为 null"))
    numerator = serializers.CharField()
    denominator = serializers.CharField()


def _object(name: str, keys, child) -> serializers.Serializer:
    fields = {key: child() for key in keys}
    return type(name, (serializers.Serializer,), fields)()


class UnitSerializer(serializers.Serializer):
    key = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    counts = _object("StatisticsCounts", list(COUNTS), FigureSerializer)
    rates = _object("StatisticsRates", list(RATES), RateSerializer)
    average_solve_days = serializers.CharField(allow_null=True)


class UnitsSerializer(serializers.Serializer):
    district = UnitSerializer(many=True)
    department = UnitSerializer(many=True)
    table = UnitSerializer(many=True)
    cluster = UnitSerializer(many=True)


class PeriodSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.ChoiceField(choices=["month", "quarter", "year"])
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


class PartSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    rate = serializers.CharField(allow_null=True)
    weight = serializers.CharField()
    points = serializers.CharField(allow_null=True)


class StandingSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    score = serializers.CharField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    previous_rank = serializers.IntegerField(allow_null=True)
    change = serializers.IntegerField(allow_null=True)
    parts = PartSerializer(many=True)


class LeagueSerializer(serializers.Serializer):
    league = serializers.ChoiceField(choices=["district", "department"])
    label = serializers.CharField()
    standings = StandingSerializer(many=True)


class StatisticsSerializer(serializers.Serializer):
    """A plan's dispatch statistics for a period, with the ranking."""

    plan = serializers.CharField()
    period = PeriodSerializer()
    today = serializers.DateField()
    schedule = serializers.CharField(help_text=_("序时进度（0–1）"))
    reported = serializers.IntegerField(help_text=_("本期报送的报告与进度更新数"))
    total = UnitSerializer()
    units = UnitsSerializer()
    ranking = LeagueSerializer(many=True)


class StatisticsItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    reference = serializers.CharField()
    name = serializers.CharField()
    value = serializers.JSONField()


class StatisticsItemsPageSerializer(serializers.Serializer):
    """One page of the projects behind a figure."""

    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = StatisticsItemSerializer(many=True)


class GradeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    baseline = serializers.CharField(allow_null=True, help_text=_("基期值"))
    target = serializers.CharField(help_text=_("期末目标（规划原文）"))
    value = serializers.CharField(allow_null=True, help_text=_("最新审核值"))
    value_year = serializers.IntegerField(allow_null=True)
    grade = serializers.ChoiceField(
        choices=["reached", "ahead", "on_track", "behind", "not_reported"]
    )
    grade_display = serializers.CharField(
        help_text=_("已达期末目标 / 超进度 / 达进度 / 滞后 / 未报送")
    )


class CompletionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    projects = serializers.IntegerField()
    completed = serializers.IntegerField()
    completion_rate = serializers.CharField(allow_null=True)
    planned = serializers.CharField(help_text=_("规划期累计计划投资（万元）"))
    done = serializers.CharField(help_text=_("规划期累计完成投资（万元）"))
    investment_rate = serializers.CharField(allow_null=True)
    phases = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("各阶段项目数")
    )


class ClusterCompletionSerializer(CompletionSerializer):
    level_display = serializers.CharField()
    planned_output = serializers.CharField(allow_null=True)


class CompletionsSerializer(serializers.Serializer):
    all = CompletionSerializer()
    table = CompletionSerializer(many=True)
    district = CompletionSerializer(many=True)
    cluster = ClusterCompletionSerializer(many=True)


class CarriedOverSerializer(serializers.Serializer):
    recorded = serializers.BooleanField(help_text=_("系统中是否已有结转（续建）关系"))
    projects = serializers.ListField(child=serializers.CharField())


class PlanProblemsSerializer(serializers.Serializer):
    raised = serializers.IntegerField()
    solved = serializers.IntegerField()
    open = serializers.IntegerField()
    average_solve_days = serializers.CharField(allow_null=True)


class EvaluationSerializer(serializers.Serializer):
    """The figures of a plan's evaluation at a year."""

    plan = serializers.CharField()
    year = serializers.IntegerField()
    indicators = GradeSerializer(many=True)
    grades = serializers.DictField(child=serializers.IntegerField())
    completion = CompletionsSerializer()
    carried_over = CarriedOverSerializer()
    problems = PlanProblemsSerializer()
