"""Serializers of the reference data, the history and the deletion feed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolio.models import (
    AuditEntry,
    Cluster,
    Department,
    District,
    Sector,
    Tombstone,
)


class DistrictSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = District
        fields = ["code", "name", "kind", "kind_display", "order"]


class SectorSerializer(serializers.ModelSerializer):
    tier_display = serializers.CharField(source="get_tier_display", read_only=True)

    class Meta:
        model = Sector
        fields = [
            "code",
            "name",
            "tier",
            "tier_display",
            "priority",
            "positioning",
            "order",
        ]


class ClusterSerializer(serializers.ModelSerializer):
    districts = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Cluster
        fields = [
            "code",
            "name",
            "belt",
            "number",
            "districts",
            "planned_formats",
            "planned_output",
            "level",
            "level_display",
        ]


class DepartmentSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    district = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    sectors = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Department
        fields = ["code", "name", "kind", "kind_display", "district", "sectors"]


class HistoryEntrySerializer(serializers.ModelSerializer):
    """One row of an object's history: who, when, what changed and why."""

    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)
    object_type = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "action",
            "action_display",
            "actor",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "reason",
        ]

    def get_object_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    @extend_schema_field(
        {
            "type": "object",
            "description": _("被修改的字段：{字段: [修改前, 修改后]}"),
            "additionalProperties": {"type": "array", "items": {}},
        }
    )
    def get_changes(self, obj):
        return obj.changes if isinstance(obj.changes, dict) else {}


class DeletionSerializer(serializers.ModelSerializer):
    """A deleted object: drop it from your copy."""

    id = serializers.CharField(source="object_id", read_only=True)
    code = serializers.CharField(source="object_code", read_only=True)

    class Meta:
        model = Tombstone
        fields = ["model", "id", "code", "deleted_at"]


class ErrorSerializer(serializers.Serializer):
    """Every error: a message, a machine code, and details when they apply."""

    detail = serializers.CharField(help_text=_("给人看的错误说明（中文）。"))
    code = serializers.CharField(
        help_text=_(
            "机器可读的错误代码，如 invalid、not_found、transition_not_allowed。"
        )
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("400：每个出错字段及其错误信息。"),
    )
    state = serializers.CharField(
        required=False, help_text=_("409：年度记录（或项目阶段）的当前状态。")
    )
    allowed_actions = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("409：当前状态下允许的操作。"),
    )
    current_version = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("412：对象的当前版本（ETag）。")
    )
    retry_after = serializers.IntegerField(
        required=False, help_text=_("429：多少秒后可以再试。")
    )
