"""Projects and year records as the API shows and accepts them.

``ProjectSerializer`` declares its fields (for validation of the schema and the
docs) but builds each object by hand: the project list is the API's hot path,
and this keeps it within reach of a hand-written SQL view (see bench/).

Apps above ``projects`` add fields to both resources through the embeds of
``extensions`` (the dossier's light, money, people and progress updates).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Value
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from portfolio import review
from portfolio.api.serializers import (
    CodeRelatedField,
    OptionalChoiceField,
    OptionalTextField,
)
from portfolio.choices import ReviewState
from portfolio.compiled import CompiledQuery, EqualsAny, compiled_cache
from portfolio.fields import SHORT_TEXT
from portfolio.models import Cluster, Department, District, Sector
from projects import services
from projects.choices import Phase, ProjectStatus, phase_label
from projects.models import Project, YearRecord

from .extensions import PROJECT_EMBEDS, YEAR_RECORD_EMBEDS

STATE_LABELS = {s.value: str(s.label) for s in ReviewState}


def table_label(number: int | None) -> str:
    """表N; a reserve project (in no table) has none."""
    return gettext("表%(number)s") % {"number": number} if number else ""


def _datetime(value):
    return timezone.localtime(value).isoformat() if value else None


def _phase_label(phase: str, year: int, start_year: int) -> str:
    """The words of every page: 在建（新开工） in the first year, 在建（续建） after."""
    return phase_label(phase or "", year=year, start_year=start_year)


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
    phase = OptionalChoiceField(
        choices=Phase.choices, help_text=_("本年度阶段；未填报时为 null")
    )
    phase_display = serializers.CharField(
        help_text=_("如“在建（新开工）”“在建（续建）”；未填报时为“未填报”")
    )
    due_date = serializers.DateField()


def attach_clusters(rows: list[dict]) -> list[dict]:
    """Give each project row its clusters, for all rows in one query.

    Rows that carry them already (``cluster_list``, aggregated in the row's
    own query on PostgreSQL) cost no query.
    """
    if rows and "cluster_list" in rows[0]:
        for row in rows:
            row["clusters"] = row["cluster_list"] or []
        return rows
    by_project = {row["id"]: row for row in rows}
    for row in rows:
        row["clusters"] = []
    for link in _cluster_links(list(by_project)):
        by_project[link["project_id"]]["clusters"].append(
            {"code": link["code"], "name": link["name"]}
        )
    return rows


# Where the page's project ids go in the compiled cluster query (PostgreSQL).
IDS_MARKER = "\x00project-ids"
_cluster_queries = compiled_cache(size=4)


def _cluster_links(project_ids: list[int]) -> list[dict]:
    """The clusters of these projects, in plan order: one query.

    On PostgreSQL the query is compiled once and takes the ids as one array
    (``= ANY(%s)``): a page pays for its SQL, not for building it.
    """
    links = Project.clusters.through.objects.order_by("cluster__number").values(
        "project_id", code=F("cluster__code"), name=F("cluster__name")
    )
    if connection.vendor != "postgresql":
        return list(links.filter(project_id__in=project_ids))
    compiled = _cluster_queries(
        connection.vendor,
        lambda: CompiledQuery(
            links.filter(EqualsAny(F("project_id"), Value(IDS_MARKER))),
            ids=IDS_MARKER,
        ),
    )
    return compiled.rows(ids=project_ids)


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
    plan = serializers.CharField(help_text=_("规划编码"))
    table = serializers.IntegerField(
        allow_null=True,
        help_text=_("项目表在规划中的表号，如 1；储备项目为 null"),
    )
    table_display = serializers.CharField(
        help_text=_("项目表的名称：表1…；储备项目为空")
    )
    status = serializers.ChoiceField(
        choices=ProjectStatus.choices,
        help_text=_("active 在册；removed 调出（仍可查阅）；reserve 储备"),
    )
    continues = serializers.CharField(
        allow_null=True, help_text=_("续建自上一规划的项目编码；没有时为 null")
    )
    continued_by = serializers.CharField(
        allow_null=True, help_text=_("在下一规划中续建的项目编码；没有时为 null")
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
    phase = OptionalChoiceField(
        choices=Phase.choices, help_text=_("当前阶段；未填报时为 null")
    )
    phase_display = serializers.CharField(help_text=_("未填报时为“未填报”"))
    year_record = ProjectYearRecordSerializer(
        allow_null=True,
        help_text=_("本年度（或 ?year= 指定年度）的年度记录；没有时为 null"),
    )
    overdue = serializers.BooleanField(
        help_text=_("逾期：到开工年仍在前期、过完工年未完成，或有逾期未报的年度记录")
    )
    version = serializers.IntegerField(
        help_text=_("版本号：ETag 的前半部分，修改时 If-Match 检查它")
    )
    updated_at = serializers.DateTimeField(help_text=_("项目本身最近一次修改"))
    modified_at = serializers.DateTimeField(
        help_text=_(
            "项目及其嵌入内容（年度记录、档案、红绿灯）最近一次变化；"
            "updated_since 按它筛选"
        )
    )
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
                "phase": phase or None,
                "phase_display": _phase_label(phase, year, row["start_year"]),
                "due_date": row["record_due_date"].isoformat(),
            }
        return {
            "code": code,
            "url": f"{base}{code}/",
            "name": row["name"],
            "plan": row["plan_code"],
            "table": row["table_number"],
            "table_display": table_label(row["table_number"]),
            "status": row["status"],
            "continues": row["continues_code"],
            "continued_by": row["continued_by_code"],
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
            "phase": row["phase"] or None,
            "phase_display": _phase_label(
                row["phase"], timezone.localdate().year, row["start_year"]
            ),
            "year_record": year_record,
            "overdue": bool(row["is_overdue"]),
            **PROJECT_EMBEDS.represent(row),
            "version": row["version"],
            "updated_at": _datetime(row["updated_at"]),
            "modified_at": _datetime(row["modified_at"]),
            "year_records_url": f"{records}?project={code}",
            "history_url": f"{base}{code}/history/",
        }


class ProjectUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):
    """Correcting a project's description (PATCH; only the fields sent change)."""

    district = CodeRelatedField(slug_field="code", queryset=District.objects.all())
    sector = CodeRelatedField(
        slug_field="code", queryset=Sector.objects.filter(plan__is_current=True)
    )
    department = CodeRelatedField(slug_field="code", queryset=Department.objects.all())
    clusters = CodeRelatedField(
        slug_field="code",
        many=True,
        queryset=Cluster.objects.filter(plan__is_current=True),
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("变更原因：移动项目（改县区、产业或责任单位）时必填，记入变更记录"),
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
            "reason",
        ]

    def service_data(self) -> dict:
        data = {}
        for name, value in self.validated_data.items():
            if name == "reason":
                continue
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
        required=False,
        allow_blank=True,
        default="",
        max_length=SHORT_TEXT,
        help_text=_("停缓建或取消时必填"),
    )


class YearRecordSerializer(serializers.ModelSerializer):
    """A project's report for one year, with its review state."""

    url = serializers.SerializerMethodField()
    project = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    district = serializers.CharField(source="project.district.code", read_only=True)
    district_name = serializers.CharField(
        source="project.district.name", read_only=True
    )
    sector = serializers.CharField(source="project.sector.code", read_only=True)
    sector_name = serializers.CharField(source="project.sector.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    phase = OptionalChoiceField(
        choices=Phase.choices,
        read_only=True,
        help_text=_("本年度末项目所处阶段；未填报时为 null"),
    )
    phase_display = serializers.CharField(
        source="phase_label",
        read_only=True,
        help_text=_("在建（新开工）/在建（续建）/…；未填报时为“未填报”"),
    )
    progress = OptionalTextField(read_only=True, help_text=_("进展情况；空为 null"))
    problems = OptionalTextField(read_only=True, help_text=_("存在问题；空为 null"))
    next_steps = OptionalTextField(read_only=True, help_text=_("下一步计划；空为 null"))
    return_reason = OptionalTextField(
        read_only=True, help_text=_("最近一次退回的原因；没有时为 null")
    )
    modified_at = serializers.DateTimeField(
        read_only=True,
        help_text=_(
            "记录及其显示的内容（所属项目、进度更新）最近一次变化；"
            "updated_since 按它筛选"
        ),
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
            "district_name",
            "sector",
            "sector_name",
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
            "modified_at",
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
        max_length=SHORT_TEXT,
        help_text=_("阶段变为停缓建或取消时必填"),
    )
    # Texts a clerk may clear: null (as they read) or "".
    progress = OptionalTextField(required=False, help_text=_("进展情况"))
    problems = OptionalTextField(required=False, help_text=_("存在问题"))
    next_steps = OptionalTextField(required=False, help_text=_("下一步计划"))

    class Meta:
        model = YearRecord
        fields = [*services.YEAR_RECORD_FIELDS, "reason"]

    def service_data(self) -> tuple[dict, str]:
        data = dict(self.validated_data)
        reason = data.pop("reason", "")
        return data, reason


class ReasonSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField(
        max_length=SHORT_TEXT, help_text=_("原因（必填），会记入变更记录")
    )


class NoBodySerializer(serializers.Serializer):
    """This action takes no body."""
