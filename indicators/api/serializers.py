"""Indicators and their targets.

Kept plain on purpose: the indicators issue extends ``IndicatorSerializer`` with
reported values and progress by adding fields to ``Meta.fields``.
"""

from __future__ import annotations

from rest_framework import serializers

from indicators.models import Indicator, IndicatorTarget


class IndicatorTargetSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = IndicatorTarget
        fields = [
            "year",
            "kind",
            "kind_display",
            "value",
            "value_max",
            "approximate",
            "text",
        ]


class IndicatorSerializer(serializers.ModelSerializer):
    direction_display = serializers.CharField(
        source="get_direction_display", read_only=True
    )
    sector = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    department = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    targets = IndicatorTargetSerializer(many=True, read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "unit",
            "direction",
            "direction_display",
            "sector",
            "department",
            "source",
            "baseline_year",
            "baseline_value",
            "targets",
        ]
