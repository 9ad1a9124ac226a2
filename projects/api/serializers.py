"""Projects and year records as the API shows and accepts them.

``ProjectSerializer`` declares its fields (for validation of the schema and the
docs) but builds each object by hand: the project list is the API's hot path,
and this keeps it within reach of a hand-written SQL view (see bench/).

Apps above ``projects`` add fields to both resources through the embeds of
``extensions`` (the dossier's light, money, people and progress updates).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from portfolio import review
from portfolio.choices import ReviewState
from portfolio.models import Cluster, Department, District, Sector
from projects import services
from projects.choices import Phase, ProjectTable
from projects.models import Project, YearRecord

from .extensions import PROJECT_EMBEDS, YEAR_RECORD_EMBEDS

PHASE_LABELS = {p.value: str(p.label) for p in Phase}
STATE_LABELS = {s.value: str(s.label) for s in ReviewState}
TABLE_LABELS = {t.value: t.label for t in ProjectTable}


def _datetime(value):
    return timezone.localtime(value).isoformat() if value else None


def _phase_label(phase: str, year: int, start_year: int) -> str:
    """在建 is 新开工 in the project's first year, 续建 after (as the plan says)."""
    if phase == Phase.UNDER_CONSTRUCTION:
        return gettext("新开工") if year == start_year else gettext("续建")
    return PHASE_LABELS.get(phase, gettext("未填报"))


class StrictInputMixin:
    """Refuse fields the endpoint does not accept, instead of ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {n for n, f in self.fields.items() if not f.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [gettext("该字段不存在或不能修改。")] for name in unknown}
                )
        return super().to_internal_value(data)


class NamedRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProjectYearRecordSerializer(serializers.Serializer):
    """The project's record of the current year (or of ``?year=``)."""

    id = serializers.IntegerField()
    url = serializers.URLField()
    year = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ReviewState.choices)
    state_display = serializers.CharField()
    phase = serializers.ChoiceField(choices=Phase.choices, allow_blank=True)
    phase_display = serializers.CharField(
        help_text=_("如“新开工”“续建”；未填报时为“未填报”")
    )
    due_date = serializers.DateField()


def attach_clusters(rows: list[dict]) -> list[dict]:
    """Give each project row its clusters, for all rows in one query."""
    by_project = {row["id"]: row for row in rows}
    for row in rows:
        row["clusters"] = []
    links = (
        Project.clusters.through.objects.filter(project_id__in=list(by_project))
        .order_by("cluster__number")
        .values_list("project_id", "cluster__code", "cluster__name")
    )
    for project_id, code, name in links:
        by_project[project_id]["clusters"].append({"code": code, "name": name})
    return rows


class ProjectListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        rows = attach_clusters(list(data))
        return [self.child.to_representation(row) for row in rows]


class ProjectSerializer(serializers.Serializer):
    """A major project with what a reader needs without a second call."""

    class Meta:
        list_serializer_class = ProjectListSerializer

    code = serializers.CharField(help_text=_("项目编码，如 t3-072"))
    url = serializers.URLField()
    name = serializers.CharField(help_text=_("项目名称"))
    table = serializers.ChoiceField(
        choices=[label for label in TABLE_LABELS.values()],
        help_text=_("项目表：表1…表7"),
    )
    number = serializers.IntegerField(help_text=_("表内序号（每表从 1 起）"))
    sector = serializers.CharField(help_text=_("产业编码"))
    sector_name = serializers.CharField()
    district = serializers.CharField(help_text=_("县区编码"))
    district_name = serializers.CharField()
    department = serializers.CharField(help_text=_("责任单位编码"))
    department_name = serializers.CharField()
    clusters = NamedRefSerializer(many=True, help_text=_("所属集聚区"))
    period = serializers.CharField(help_text=_("建设年限（规划原文）"))
    start_year = serializers.IntegerField()
    end_year = serializers.IntegerField()
    content = serializers.CharField(help_text=_("建设规模及内容"))
    phase = serializers.ChoiceField(
        choices=Phase.choices, allow_blank=True, help_text=_("当前阶段；空为未填报")
    )
    phase_display = serializers.CharField()
    year_record = ProjectYearRecordSerializer(
        allow_null=True,
        help_text=_("本年度（或 ?year= 指定年度）的年度记录；没有时为 null"),
    )
    overdue = serializers.BooleanField(
        help_text=_("逾期：到开工年仍在前期、过完工年未完成，或有逾期未报的年度记录")
    )
    version = serializers.IntegerField(help_text=_("版本号，即 ETag"))
    updated_at = serializers.DateTimeField()
    year_records_url = serializers.URLField()
    history_url = serializers.URLField()

    def get_fields(self):
        """The declared fields and, after ``overdue``, the registered embeds'."""
        return PROJECT_EMBEDS.with_fields(super().get_fields(), after="overdue")

    def _base(self) -> str:
        base = getattr(self, "_base_url", None)
        if base is None:
            request = self.context.get("request")
            base = reverse("project-list", request=request)
            self._base_url = base
            self._records_url = reverse("yearrecord-list", request=request)
        return base

    def to_representation(self, row: dict) -> dict:
        """``row`` is one of ``project_decorate``'s value rows."""
        base = self._base()
        records = self._records_url
        code = row["code"]
        if "clusters" not in row:
            attach_clusters([row])
        record_id = row["record_id"]
        year_record = None
        if record_id is not None:
            year, phase = row["record_year"], row["record_phase"]
            year_record = {
                "id": record_id,
                "url": f"{records}{record_id}/",
                "year": year,
                "state": row["record_state"],
                "state_display": STATE_LABELS[row["record_state"]],
                "phase": phase,
                "phase_display": _phase_label(phase, year, row["start_year"]),
                "due_date": row["record_due_date"].isoformat(),
            }
        return {
            "code": code,
            "url": f"{base}{code}/",
            "name": row["name"],
            "table": TABLE_LABELS[row["table"]],
            "number": row["number"],
            "sector": row["sector_code"],
            "sector_name": row["sector_name"],
            "district": row["district_code"],
            "district_name": row["district_name"],
            "department": row["department_code"],
            "department_name": row["department_name"],
            "clusters": row["clusters"],
            "period": row["period"],
            "start_year": row["start_year"],
            "end_year": row["end_year"],
            "content": row["content"],
            "phase": row["phase"],
            "phase_display": PHASE_LABELS.get(row["phase"], gettext("未填报")),
            "year_record": year_record,
            "overdue": bool(row["is_overdue"]),
            **PROJECT_EMBEDS.represent(row),
            "version": row["version"],
            "updated_at": _datetime(row["updated_at"]),
            "year_records_url": f"{records}?project={code}",
            "history_url": f"{base}{code}/history/",
        }


class ProjectUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):
    """Correcting a project's description (PATCH; only the fields sent change)."""

    district = serializers.SlugRelatedField(
        slug_field="code", queryset=District.objects.all()
    )
    sector = serializers.SlugRelatedField(
        slug_field="code", queryset=Sector.objects.filter(plan__is_current=True)
    )
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all()
    )
    clusters = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=Cluster.objects.filter(plan__is_current=True),
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "district",
            "sector",
            "department",
            "clusters",
            "period",
            "start_year",
            "end_year",
            "content",
        ]

    def service_data(self) -> dict:
        data = {}
        for name, value in self.validated_data.items():
            if name in ("district", "sector", "department"):
                data[f"{name}_id"] = value.pk
            elif name == "clusters":
                data["clusters"] = list(value)
            else:
                data[name] = value
        return data


class ProjectPhaseSerializer(StrictInputMixin, serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices, help_text=_("新的阶段"))
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("停缓建或取消时必填")
    )


class YearRecordSerializer(serializers.ModelSerializer):
    """A project's report for one year, with its review state."""

    url = serializers.SerializerMethodField()
    project = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    district = serializers.CharField(source="project.district.code", read_only=True)
    sector = serializers.CharField(source="project.sector.code", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    phase = serializers.ChoiceField(
        choices=Phase.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("本年度末项目所处阶段；空为未填报"),
    )
    phase_display = serializers.CharField(
        source="phase_label", read_only=True, help_text=_("新开工/续建/…；空为未填报")
    )
    overdue = serializers.SerializerMethodField(
        help_text=_("逾期未报（未提交且已过截止日）")
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text=_("当前状态下工作流允许的操作（角色另行检查）")
    )
    history_url = serializers.SerializerMethodField()

    class Meta:
        model = YearRecord
        fields = [
            "id",
            "url",
            "project",
            "project_name",
            "district",
            "sector",
            "year",
            "state",
            "state_display",
            "phase",
            "phase_display",
            "planned_investment",
            "actual_investment",
            "percent_complete",
            "progress",
            "problems",
            "next_steps",
            "due_date",
            "overdue",
            "allowed_actions",
            "submitted_at",
            "returned_at",
            "approved_at",
            "return_reason",
            "version",
            "created_at",
            "updated_at",
            "history_url",
        ]
        read_only_fields = fields

    def get_fields(self):
        """The model's fields and, last, the registered embeds'."""
        return YEAR_RECORD_EMBEDS.with_fields(super().get_fields())

    def _url(self, obj, suffix: str = "") -> str:
        url = reverse(
            "yearrecord-detail",
            kwargs={"pk": obj.pk},
            request=self.context.get("request"),
        )
        return url + suffix

    def get_url(self, obj) -> str:
        return self._url(obj)

    def get_history_url(self, obj) -> str:
        return self._url(obj, "history/")

    def get_overdue(self, obj) -> bool:
        from projects.selectors import year_record_is_overdue

        return year_record_is_overdue(obj, timezone.localdate())

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(
                choices=["submit", "approve", "return", "reopen"]
            )
        )
    )
    def get_allowed_actions(self, obj) -> list[str]:
        return [str(a) for a in review.allowed_review_actions(obj.state)]


class YearRecordUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):
    """The figures and texts a clerk fills in (PATCH; only the fields sent change)."""

    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("阶段变为停缓建或取消时必填"),
    )

    class Meta:
        model = YearRecord
        fields = [*services.YEAR_RECORD_FIELDS, "reason"]
        extra_kwargs = {
            "progress": {"allow_blank": True},
            "problems": {"allow_blank": True},
            "next_steps": {"allow_blank": True},
        }

    def service_data(self) -> tuple[dict, str]:
        data = dict(self.validated_data)
        reason = data.pop("reason", "")
        return data, reason


class ReasonSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField(help_text=_("原因（必填），会记入变更记录"))


class NoBodySerializer(serializers.Serializer):
    """This action takes no body."""
