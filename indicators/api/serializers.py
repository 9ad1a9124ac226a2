"""The indicators resource: CONTRACT.md's fields, plus values and progress per year."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Indicator, IndicatorTarget, IndicatorValue
from ..selectors import indicator_progress_rows


def _number(value) -> str | None:
    """A decimal as the plan writes it: "8", "8.5", "390.2" (no padding zeros)."""
    return None if value is None else format(value.normalize(), "f")


class TargetSerializer(serializers.ModelSerializer):
    value = serializers.SerializerMethodField()
    value_max = serializers.SerializerMethodField()
    tolerance = serializers.SerializerMethodField()

    class Meta:
        model = IndicatorTarget
        fields = [
            "year",
            "kind",
            "value",
            "value_max",
            "text",
            "strict",
            "approximate",
            "tolerance",
            "source",
        ]

    def get_value(self, obj) -> str | None:
        return _number(obj.value)

    def get_value_max(self, obj) -> str | None:
        return _number(obj.value_max)

    def get_tolerance(self, obj) -> str | None:
        return _number(obj.tolerance)


class ValueSerializer(serializers.ModelSerializer):
    value = serializers.SerializerMethodField()
    rate = serializers.SerializerMethodField()
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = IndicatorValue
        fields = [
            "id",
            "year",
            "value",
            "rate",
            "source",
            "reported_on",
            "department",
            "state",
            "version",
        ]

    def get_value(self, obj) -> str | None:
        return _number(obj.value)

    def get_rate(self, obj) -> str | None:
        return _number(obj.rate)


class ProgressTargetSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    expected = serializers.CharField(allow_null=True)
    actual = serializers.CharField(allow_null=True)
    note = serializers.CharField()


class ProgressSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    status = serializers.CharField(
        help_text=_("met、on_track、behind 或 not_reported（见 docs/indicators.md）")
    )
    status_display = serializers.CharField()
    expected = serializers.CharField(allow_null=True)
    actual = serializers.CharField(allow_null=True)
    note = serializers.CharField()
    targets = ProgressTargetSerializer(many=True)


class BaselineSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    value = serializers.CharField()
    unit = serializers.CharField()
    text = serializers.CharField()


class IndicatorSerializer(serializers.ModelSerializer):
    sector = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    department = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    district = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    baseline = serializers.SerializerMethodField()
    targets = TargetSerializer(many=True, read_only=True)
    values = ValueSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "unit",
            "direction",
            "measure",
            "quantity_unit",
            "sector",
            "department",
            "district",
            "source",
            "source_text",
            "baseline",
            "targets",
            "values",
            "progress",
        ]

    @extend_schema_field(BaselineSerializer(allow_null=True))
    def get_baseline(self, obj) -> dict | None:
        if obj.baseline_value is None:
            return None
        return {
            "year": obj.baseline_year,
            "value": _number(obj.baseline_value),
            "unit": obj.quantity_unit or obj.unit,
            "text": obj.baseline_text,
        }

    @extend_schema_field(ProgressSerializer(many=True))
    def get_progress(self, obj) -> list[dict]:
        return ProgressSerializer(indicator_progress_rows(obj), many=True).data
