"""Serializers of the reference data, the history and the deletion feed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolio.history import change_lines, object_type_label
from portfolio.models import (
    AuditEntry,
    Cluster,
    Department,
    District,
    Sector,
    Tombstone,
)


class CodeRelatedField(serializers.SlugRelatedField):
    """A related object named by its code in a request body.

    A NUL is refused before any lookup, naming the field: PostgreSQL text cannot
    hold it, and the query would fail with a server error instead.
    """

    default_error_messages = {"null": _("编码中不能含有空字符（NUL）。")}

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("null")
        return super().to_internal_value(data)


class OptionalTextField(serializers.CharField):
    """A text that may be unset: ``null`` in JSON, never ``""``.

    As input, null and ``""`` both clear it (stored as an empty text).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        return super().run_validation("" if data is None else data)

    def to_representation(self, value):
        return super().to_representation(value) or None


class BlankAsNullMixin:
    """For a ModelSerializer: the model's texts that may be left blank read
    ``null`` when they are (``OptionalTextField``), as every unset value does."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if (
            isinstance(model_field, models.CharField | models.TextField)
            and model_field.blank
            and not model_field.choices
            and issubclass(field_class, serializers.CharField)
        ):
            field_class = OptionalTextField
        return field_class, kwargs


class OptionalChoiceField(serializers.ChoiceField):
    """A code that may be unset (a phase not yet reported): ``null``, never ``""``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


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


class HistoryListSerializer(serializers.ListSerializer):
    """Reads the labels and names of a page of history rows in a few queries."""

    def to_representation(self, data):
        entries = list(data.all() if hasattr(data, "all") else data)
        lines = change_lines(entries)
        for entry in entries:
            entry.change_lines = lines[entry.pk]
        return super().to_representation(entries)


class ChangeLineSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=_("字段代码，如 phase"))
    label = serializers.CharField(help_text=_("字段名称，如“年度阶段”"))
    before = serializers.JSONField(help_text=_("修改前的值（代码）"))
    after = serializers.JSONField(help_text=_("修改后的值（代码）"))
    before_display = serializers.CharField(help_text=_("修改前的值（名称），如“前期”"))
    after_display = serializers.CharField(help_text=_("修改后的值（名称）"))


class HistoryEntrySerializer(serializers.ModelSerializer):
    """One row of an object's history: who, when, what changed and why.

    ``changes`` keeps the codes (``{字段: [修改前, 修改后]}``);
    ``changes_display`` gives each change with the field's label and the values'
    labels and names, as the admin's 变更记录 shows them.
    """

    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)
    object_type = serializers.SerializerMethodField()
    object_type_display = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()
    changes_display = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        list_serializer_class = HistoryListSerializer
        fields = [
            "id",
            "created_at",
            "action",
            "action_display",
            "actor",
            "object_type",
            "object_type_display",
            "object_id",
            "object_repr",
            "changes",
            "changes_display",
            "reason",
        ]

    reason = OptionalTextField(read_only=True, help_text=_("原因；没有时为 null"))

    def get_object_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    def get_object_type_display(self, obj) -> str:
        return object_type_label(obj)

    @extend_schema_field(
        {
            "type": "object",
            "description": _("被修改的字段（代码）：{字段: [修改前, 修改后]}"),
            "additionalProperties": {"type": "array", "items": {}},
        }
    )
    def get_changes(self, obj):
        return obj.changes if isinstance(obj.changes, dict) else {}

    @extend_schema_field(ChangeLineSerializer(many=True))
    def get_changes_display(self, obj) -> list[dict]:
        lines = getattr(obj, "change_lines", None)
        if lines is None:
            lines = change_lines([obj])[obj.pk]
        return [
            {
                "field": line.field,
                "label": line.label,
                "before": line.before,
                "after": line.after,
                "before_display": line.before_display,
                "after_display": line.after_display,
            }
            for line in lines
        ]


class DeletionSerializer(serializers.ModelSerializer):
    """A deleted object: drop it from your copy (a project by ``code``, a year
    record by ``id``, the same values the lists give)."""

    id = serializers.IntegerField(
        source="object_id", read_only=True, help_text=_("被删除对象的 id")
    )
    code = OptionalTextField(
        source="object_code",
        read_only=True,
        help_text=_("被删除项目的编码；年度记录没有编码，为 null"),
    )

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
