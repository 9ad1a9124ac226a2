"""The indicators resource: CONTRACT.md's fields, plus values and progress per year."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolio.api.serializers import BlankAsNullMixin, OptionalTextField

from ..models import Indicator, IndicatorTarget, IndicatorValue
from ..selectors import indicator_progress_rows, values_visible


def _number(value) -> str | None:
    """A decimal as the plan writes it: "8", "8.5", "390.2" (no padding zeros)."""
    return None if value is None else format(value.normalize(), "f")


class TargetSerializer(BlankAsNullMixin, serializers.ModelSerializer):
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


class ValueSerializer(BlankAsNullMixin, serializers.ModelSerializer):
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
    note = OptionalTextField()


class ProgressSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    status = serializers.CharField(
        help_text=_("met、on_track、behind 或 not_reported（见 docs/indicators.md）")
    )
    status_display = serializers.CharField()
    expected = serializers.CharField(allow_null=True)
    actual = serializers.CharField(allow_null=True)
    note = OptionalTextField()
    targets = ProgressTargetSerializer(many=True)


class BaselineSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    value = serializers.CharField()
    unit = serializers.CharField()
    text = OptionalTextField()


class IndicatorSerializer(BlankAsNullMixin, serializers.ModelSerializer):
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
    values = serializers.SerializerMethodField(
        help_text=_(
            "各年度填报值：仅责任单位本身、分管该单位的督查员"
            "（全市督查员、管理员及不限单位的凭据为全部）可见，草稿亦然；"
            "其他调用方得到空列表（进度 progress 仍按已提交的数值计算）。"
        )
    )
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
            "text": obj.baseline_text or None,
        }

    @extend_schema_field(ValueSerializer(many=True))
    def get_values(self, obj) -> list[dict]:
        scope = self.context.get("scope")
        if scope is None:
            return []
        return ValueSerializer(values_visible(obj, scope), many=True).data

    @extend_schema_field(ProgressSerializer(many=True))
    def get_progress(self, obj) -> list[dict]:
        return ProgressSerializer(indicator_progress_rows(obj), many=True).data
