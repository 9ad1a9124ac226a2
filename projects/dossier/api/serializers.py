"""Serializers of the dossier for the API (wired by the lead on the API branch).

Read side: ``DossierFieldsMixin`` adds ``light``, ``light_display``, ``reasons``
and the money to a project serializer, reading the stored light and the dossier
loaded by ``with_dossier(queryset)`` (select_related: no query per row). Contact
person and phone appear only to users whose scope covers the project and never
in public exports (``exclude_personal=True``, see ``personal_fields()``).
Write side: the views call the services in ``projects.dossier`` with
``serializer.validated_data``; nothing here saves.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from rest_framework import serializers

from portfolio.selectors import user_scope
from projects.choices import HealthLight
from projects.dossier.models import CoordinationProblem, ProgressUpdate, ProjectDossier
from projects.dossier.services import DOSSIER_FIELDS, personal_fields
from projects.models import Project


def with_dossier(queryset: QuerySet[Project]) -> QuerySet[Project]:
    """Load each project's dossier and stored light in the same query."""
    return queryset.select_related("dossier", "health")


class ProjectDossierSerializer(serializers.ModelSerializer):
    """Money and people; personal fields dropped outside the project's scope."""

    class Meta:
        model = ProjectDossier
        fields = [*DOSSIER_FIELDS, "version"]
        read_only_fields = ["version"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        public = self.context.get("exclude_personal", False)
        if (
            public
            or request is None
            or not user_scope(request.user).covers_project(instance.project)
        ):
            for name in personal_fields():
                data.pop(name, None)
        return data


class DossierFieldsMixin(serializers.Serializer):
    """Light, reasons and money for a project serializer (use ``with_dossier``)."""

    light = serializers.SerializerMethodField()
    light_display = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()
    total_investment = serializers.SerializerMethodField()

    def _related(self, obj, name):
        try:
            return getattr(obj, name)
        except ObjectDoesNotExist:
            return None

    def get_light(self, obj) -> str | None:
        health = self._related(obj, "health")
        return health.light if health else None

    def get_light_display(self, obj) -> str | None:
        health = self._related(obj, "health")
        return str(HealthLight(health.light).label) if health else None

    def get_reasons(self, obj) -> list[str]:
        health = self._related(obj, "health")
        return list(health.reasons) if health else []

    def get_total_investment(self, obj) -> str | None:
        dossier = self._related(obj, "dossier")
        if dossier is None or dossier.total_investment is None:
            return None
        return str(dossier.total_investment)


class ProgressUpdateSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="year_record.project.code", read_only=True)
    year = serializers.IntegerField(source="year_record.year", read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "project",
            "year",
            "period",
            "period_start",
            "period_end",
            "due_date",
            "completed_investment",
            "cumulative_investment",
            "physical_progress",
            "percent_complete",
            "problems",
            "decrease_reason",
            "submitted_at",
            "version",
        ]
        read_only_fields = [
            "id",
            "period_start",
            "period_end",
            "due_date",
            "submitted_at",
            "version",
        ]


class CoordinationProblemSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    owner_department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = CoordinationProblem
        fields = [
            "id",
            "project",
            "description",
            "owner_department",
            "due_date",
            "state",
            "state_display",
            "raised_on",
            "solved_at",
            "resolution",
            "version",
        ]
        read_only_fields = fields
