"""Admin of the project dossier: money and people, progress updates, the problem
list, attachments and the traffic light (issue 9)."""

from __future__ import annotations

# =============================================================================
# Project dossier (issue 9): money and people, progress updates, the problem
# list, attachments and the traffic light. Everything below is additive: the
# project and year-record admins above are extended by subclasses and
# re-registered; every write goes through projects.dossier / .attachments /
# .health. Permissions of the new models follow the roles (填报员/督查员/管理员)
# rather than per-model permissions, so existing groups need no change.
# =============================================================================
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portfolio.admin import AuditHistoryMixin, ServiceModelForm, history_table
from portfolio.choices import EDITABLE_STATES, AuditAction
from portfolio.exceptions import TransitionNotAllowed
from portfolio.selectors import (
    is_administrator,
    is_clerk,
    is_supervisor,
    user_scope,
)
from portfolio.services import audit_log
from projects import services
from projects.admin import (
    ProjectAdmin,
    ScopedAdminMixin,
    YearRecordAdmin,
    _service_errors,
)
from projects.choices import HealthLight
from projects.dossier import attachments as attachment_services
from projects.dossier import health, problems, selectors
from projects.dossier import services as dossier
from projects.dossier.choices import ProblemState
from projects.dossier.models import (
    Attachment,
    CoordinationProblem,
    HealthRule,
    ProgressUpdate,
    ProjectDossier,
    ProjectHealth,
)
from projects.models import Project, YearRecord

LIGHT_COLOURS = {
    HealthLight.GREEN: "#2e7d32",
    HealthLight.YELLOW: "#f9a825",
    HealthLight.RED: "#c62828",
}
SERVICE_ERRORS = (
    ValidationError,
    PermissionDenied,
    TransitionNotAllowed,
    services.StaleWrite,
)


def _writer(user) -> bool:
    """Clerks (and administrators) enter the dossier; supervisors read it."""
    return is_clerk(user) or is_administrator(user)


def _staff(user) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


def light_badge(light: str | None, reasons=()) -> str:
    """A coloured dot and the light's name; the reasons in its tooltip."""
    if not light:
        return format_html('<span style="color:#888">{}</span>', _("未计算"))
    return format_html(
        '<span title="{}" style="white-space:nowrap"><span style="display:inline-block;'
        "width:.9em;height:.9em;border-radius:50%;background:{};"
        'vertical-align:middle"></span> {}</span>',
        "；".join(reasons),
        LIGHT_COLOURS[HealthLight(light)],
        HealthLight(light).label,
    )


def _related_or_none(obj, name: str):
    """A reverse one-to-one loaded by select_related, or None (never a query)."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


class HealthLightFilter(admin.SimpleListFilter):
    title = _("红绿灯")
    parameter_name = "light"

    def lookups(self, request, model_admin):
        return [*HealthLight.choices, ("none", _("未计算"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(health__isnull=True)
        if self.value() in HealthLight.values:
            return queryset.filter(health__light=self.value())
        return queryset


class ProjectDossierForm(ServiceModelForm):
    change_reason = forms.CharField(
        label=_("修改说明"),
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_("可选，写入变更记录。"),
    )

    class Meta:
        model = ProjectDossier
        fields = list(dossier.DOSSIER_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {
            name: cleaned.get(name)
            for name in self.changed_data
            if name in dossier.DOSSIER_FIELDS
        }
        for name in ("owner_unit", "responsible_leader", "contact_person"):
            if name in data and data[name] is None:
                data[name] = ""
        if not data:
            return cleaned
        try:
            dossier.project_dossier_update(
                project=self.instance.project,
                actor=self.request_user,
                data=data,
                expected_version=cleaned.get("version_seen")
                if self.instance.pk
                else None,
                reason=cleaned.get("change_reason") or "",
            )
        except SERVICE_ERRORS as exc:
            _service_errors(self, exc)
        return cleaned


class ProjectDossierInline(admin.StackedInline):
    """Money and people on the project page (written by project_dossier_update)."""

    model = ProjectDossier
    form = ProjectDossierForm
    can_delete = False
    max_num = 1
    extra = 1
    verbose_name = verbose_name_plural = _("项目档案：投资与联系人")
    fieldsets = [
        (
            _("总投资及资金来源（万元；来源合计须等于总投资）"),
            {
                "fields": [
                    "total_investment",
                    ("fiscal_funds", "special_bonds", "bank_loans"),
                    ("social_capital", "other_funds"),
                ]
            },
        ),
        (
            _("项目业主与联系人（联系人信息仅本项目负责范围内可见）"),
            {
                "fields": [
                    "owner_unit",
                    "responsible_leader",
                    ("contact_person", "contact_phone"),
                    "change_reason",
                    "version_seen",
                ]
            },
        ),
    ]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.request_user = request.user
        return formset

    def has_view_permission(self, request, obj=None):
        return _staff(request.user)

    def has_add_permission(self, request, obj=None):
        return _writer(request.user)

    def has_change_permission(self, request, obj=None):
        return _writer(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyLinksInline(admin.TabularInline):
    """Related rows listed on a page, read-only, each linking to its own form."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return _staff(request.user)


class AttachmentLinks(ReadOnlyLinksInline):
    """Photos and documents on the project page, as thumbnails and links."""

    model = Attachment
    fields = ["preview", "kind", "title", "original_name", "size_text", "uploaded_at"]
    readonly_fields = fields
    verbose_name_plural = _("照片和附件（在“照片和附件”中上传）")

    @admin.display(description=_("预览"))
    def preview(self, obj):
        return attachment_preview(obj)

    @admin.display(description=_("大小"))
    def size_text(self, obj):
        return human_size(obj.size)


class ProblemLinks(ReadOnlyLinksInline):
    model = CoordinationProblem
    fk_name = "project"
    fields = ["problem_link", "owner_department", "due_date", "state", "raised_on"]
    readonly_fields = fields
    verbose_name_plural = _("问题清单")

    @admin.display(description=_("问题"))
    def problem_link(self, obj):
        url = reverse("admin:dossier_coordinationproblem_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.description[:60])


class DossierProjectAdmin(ProjectAdmin):
    """The project list with its light, reasons and money; the page with its dossier.

    Light and money come from the same query as the row (select_related of the
    stored light and the dossier, subqueries for this year's figures).
    """

    list_display = [
        *ProjectAdmin.list_display,
        "light_display",
        "reasons_display",
        "total_investment_display",
        "year_money_display",
    ]
    list_filter = [HealthLightFilter, *ProjectAdmin.list_filter]
    list_select_related = [*ProjectAdmin.list_select_related, "dossier", "health"]
    inlines = [
        ProjectDossierInline,
        *ProjectAdmin.inlines,
        ProblemLinks,
        AttachmentLinks,
    ]
    actions = ["refresh_health"]

    def get_queryset(self, request):
        year = timezone.localdate().year
        current = YearRecord.objects.filter(project=OuterRef("pk"), year=year)
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_planned=Subquery(current.values("planned_investment")[:1]),
                current_actual=Subquery(current.values("actual_investment")[:1]),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "light_detail"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if "light_detail" in fields:
            fields.remove("light_detail")
        return ["light_detail", *fields]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_supervisor(request.user):
            actions.pop("refresh_health", None)
        return actions

    @admin.display(description=_("红绿灯"), ordering="health__light")
    def light_display(self, obj):
        state = _related_or_none(obj, "health")
        return light_badge(
            state.light if state else None, state.reasons if state else ()
        )

    @admin.display(description=_("红黄灯原因"))
    def reasons_display(self, obj):
        state = _related_or_none(obj, "health")
        if state is None or not state.reasons:
            return "—"
        return format_html_join(
            "", '<div style="font-size:85%">{}</div>', ((r,) for r in state.reasons)
        )

    @admin.display(
        description=_("总投资（万元）"), ordering="dossier__total_investment"
    )
    def total_investment_display(self, obj):
        record = _related_or_none(obj, "dossier")
        if record is None or record.total_investment is None:
            return "—"
        return record.total_investment

    @admin.display(description=_("本年计划/完成（万元）"))
    def year_money_display(self, obj):
        planned = obj.current_planned
        actual = obj.current_actual
        if planned is None and actual is None:
            return "—"
        return f"{planned if planned is not None else '—'} / " + (
            f"{actual if actual is not None else '—'}"
        )

    @admin.display(description=_("红绿灯"))
    def light_detail(self, obj):
        state = _related_or_none(obj, "health")
        if state is None:
            return light_badge(None)
        since = timezone.localtime(state.light_since).strftime("%Y-%m-%d")
        computed = timezone.localtime(state.computed_at).strftime("%Y-%m-%d %H:%M")
        return format_html(
            "{} <small>（{} 起；计算于 {}）</small><ul>{}</ul>",
            light_badge(state.light, state.reasons),
            since,
            computed,
            format_html_join("", "<li>{}</li>", ((r,) for r in state.reasons)),
        )

    @admin.action(description=_("按当前规则重新计算所选项目的红绿灯"))
    def refresh_health(self, request, queryset):
        report = health.health_refresh(
            project_ids=list(queryset.values_list("pk", flat=True)),
            actor=request.user,
        )
        self.message_user(
            request,
            f"已重新计算 {report.computed} 个项目，灯色变化 {len(report.changed)} 个，"
            f"新变红 {len(report.turned_red)} 个。",
            messages.SUCCESS,
        )


admin.site.unregister(Project)
admin.site.register(Project, DossierProjectAdmin)


class ProgressUpdateLinks(ReadOnlyLinksInline):
    """The year's progress updates on the year record's page."""

    model = ProgressUpdate
    fields = [
        "period_link",
        "completed_investment",
        "cumulative_investment",
        "percent_complete",
        "due_date",
        "submitted_at",
    ]
    readonly_fields = fields
    verbose_name_plural = _("本年度进度更新（汇总到本年度完成投资和形象进度）")

    @admin.display(description=_("报告期"))
    def period_link(self, obj):
        url = reverse("admin:dossier_progressupdate_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.period)


class DossierYearRecordAdmin(YearRecordAdmin):
    inlines = [*YearRecordAdmin.inlines, ProgressUpdateLinks]


admin.site.unregister(YearRecord)
admin.site.register(YearRecord, DossierYearRecordAdmin)


class RoleAdminMixin(AuditHistoryMixin):
    """Scoped lists; clerks write, supervisors read (and run their actions)."""

    scope_prefix = "project__"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(user_scope(request.user).project_q(self.scope_prefix))

    def has_module_permission(self, request):
        return _staff(request.user)

    def has_view_permission(self, request, obj=None):
        return _staff(request.user)

    def has_add_permission(self, request):
        return _writer(request.user)

    def has_change_permission(self, request, obj=None):
        return _writer(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


def _scoped_projects(user):
    return Project.objects.filter(user_scope(user).project_q()).order_by(
        "table", "number"
    )


class ProgressUpdateForm(ServiceModelForm):
    """Add or correct one period's progress through the services."""

    year_record = forms.ModelChoiceField(
        label=_("年度记录"), queryset=YearRecord.objects.none(), required=False
    )
    period = forms.CharField(
        label=_("报告期"),
        required=False,
        help_text=_("按月如“2026-03”，按季如“2026-Q1”。"),
    )

    class Meta:
        model = ProgressUpdate
        fields = list(dossier.PROGRESS_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result = None
        if "cumulative_investment" in self.fields:  # not when read-only
            self.fields["cumulative_investment"].required = False
            self.fields["cumulative_investment"].help_text = _(
                "留空则按上期累计加本期完成自动计算；低于上期时须填写下降原因。"
            )
        if self.instance.pk:
            self.fields.pop("year_record", None)
            self.fields.pop("period", None)
        else:
            today = timezone.localdate()
            self.fields["year_record"].required = True
            self.fields["period"].required = True
            self.fields["year_record"].queryset = (
                YearRecord.objects.filter(
                    user_scope(self.request_user).project_q("project__"),
                    state__in=EDITABLE_STATES,
                    year__gte=today.year - 1,
                    year__lte=today.year,
                )
                .select_related("project")
                .order_by("project__table", "project__number", "year")
            )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {name: cleaned.get(name) for name in dossier.PROGRESS_FIELDS}
        try:
            if self.instance.pk:
                changed = {
                    name: data[name]
                    for name in self.changed_data
                    if name in dossier.PROGRESS_FIELDS
                }
                if not changed:
                    self.result = self.instance
                    return cleaned
                self.result = dossier.progress_update_change(
                    update=self.instance,
                    actor=self.request_user,
                    data=changed,
                    expected_version=cleaned.get("version_seen"),
                )
            else:
                self.result = dossier.progress_update_submit(
                    year_record=cleaned["year_record"],
                    period=cleaned["period"],
                    actor=self.request_user,
                    data=data,
                )
        except SERVICE_ERRORS as exc:
            _service_errors(self, exc)
        return cleaned


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(RoleAdminMixin, admin.ModelAdmin):
    scope_prefix = "year_record__project__"
    form = ProgressUpdateForm
    list_display = [
        "project_name",
        "period",
        "completed_investment",
        "cumulative_investment",
        "percent_complete",
        "due_date",
        "submitted_at",
        "late_flag",
    ]
    list_filter = [
        "year_record__year",
        "cadence",
        "year_record__project__district",
        "year_record__project__sector",
    ]
    search_fields = ["year_record__project__name", "year_record__project__code"]
    list_select_related = ["year_record__project"]
    list_per_page = 50
    readonly_fields = [
        "project_name",
        "period",
        "period_start",
        "period_end",
        "due_date",
        "submitted_at",
        "submitted_by",
        "history",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def get_fieldsets(self, request, obj=None):
        figures = [
            "completed_investment",
            "cumulative_investment",
            "physical_progress",
            "percent_complete",
            "problems",
            "decrease_reason",
        ]
        if obj is None:
            return [(None, {"fields": ["year_record", "period", *figures]})]
        return [
            (
                None,
                {
                    "fields": [
                        "project_name",
                        ("period", "period_start", "period_end"),
                        ("due_date", "submitted_at", "submitted_by"),
                    ]
                },
            ),
            (_("本期进度"), {"fields": [*figures, "version_seen"]}),
            (_("变更记录"), {"fields": ["history"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = list(self.readonly_fields)
        if obj.year_record.state not in EDITABLE_STATES or not _writer(request.user):
            fields += list(dossier.PROGRESS_FIELDS)
        return fields

    def save_form(self, request, form, change):
        return form.result

    def save_model(self, request, obj, form, change):
        """Already saved by the service during validation."""

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here."""

    def get_urls(self):
        return [
            path(
                "overdue/",
                self.admin_site.admin_view(self.overdue_view),
                name="dossier_progressupdate_overdue",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        today = timezone.localdate()
        ids = list(
            Project.objects.filter(user_scope(request.user).project_q()).values_list(
                "pk", flat=True
            )
        )
        missing = selectors.progress_updates_overdue(today, project_ids=ids)
        if missing and request.method == "GET":
            self.message_user(
                request,
                format_html(
                    '您负责范围内有 {} 期进度更新逾期未报，<a href="{}">查看清单</a>。',
                    len(missing),
                    reverse("admin:dossier_progressupdate_overdue"),
                ),
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def overdue_view(self, request):
        today = timezone.localdate()
        projects = {
            p.pk: p
            for p in Project.objects.filter(
                user_scope(request.user).project_q()
            ).select_related("department")
        }
        items = selectors.progress_updates_overdue(today, project_ids=list(projects))
        add_url = reverse("admin:dossier_progressupdate_add")
        rows = [
            {
                "item": item,
                "project": projects[item.project_id],
                "days": item.days_overdue(today),
                "add_url": (
                    add_url
                    + "?"
                    + urlencode(
                        {"year_record": item.year_record_id, "period": item.period}
                    )
                )
                if _writer(request.user)
                else "",
            }
            for item in items
        ]
        return TemplateResponse(
            request,
            "admin/dossier/progress_overdue.html",
            {
                **self.admin_site.each_context(request),
                "title": _("逾期未报的进度更新"),
                "items": rows,
                "today": today,
                "opts": self.model._meta,
            },
        )

    @admin.display(description=_("项目"), ordering="year_record__project__table")
    def project_name(self, obj):
        return str(obj.year_record.project)

    @admin.display(description=_("迟报"))
    def late_flag(self, obj):
        if timezone.localtime(obj.submitted_at).date() > obj.due_date:
            return format_html('<span style="color:#ba2121">{}</span>', _("迟报"))
        return ""

    @admin.display(description=_("变更记录"))
    def history(self, obj):
        return history_table(obj)


class ProblemForm(ServiceModelForm):
    project = forms.ModelChoiceField(
        label=_("项目"), queryset=Project.objects.none(), required=False
    )
    change_reason = forms.CharField(label=_("调整说明"), required=False)

    class Meta:
        model = CoordinationProblem
        fields = ["description", "owner_department", "due_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result = None
        if self.instance.pk:
            self.fields.pop("project", None)
        else:
            self.fields["project"].required = True
            self.fields["project"].queryset = _scoped_projects(self.request_user)
            self.fields["owner_department"].required = False
            self.fields["due_date"].required = False
            self.fields.pop("change_reason", None)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            if self.instance.pk:
                if not {"owner_department", "due_date"} & set(self.changed_data):
                    self.result = self.instance
                    return cleaned
                self.result = problems.problem_assign(
                    problem=self.instance,
                    actor=self.request_user,
                    owner_department=cleaned.get("owner_department"),
                    due_date=cleaned.get("due_date"),
                    reason=cleaned.get("change_reason") or "",
                    expected_version=cleaned.get("version_seen"),
                )
            else:
                self.result = problems.problem_raise(
                    project=cleaned["project"],
                    actor=self.request_user,
                    description=cleaned.get("description") or "",
                    owner_department=cleaned.get("owner_department"),
                    due_date=cleaned.get("due_date"),
                )
        except SERVICE_ERRORS as exc:
            _service_errors(self, exc)
        return cleaned


class ProblemTextForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=True)


@admin.register(CoordinationProblem)
class CoordinationProblemAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The coordination list: what blocks which project, who chases it, by when."""

    form = ProblemForm
    list_display = [
        "project",
        "short_description",
        "owner_department",
        "due_date",
        "state",
        "raised_on",
        "days_open",
        "late_flag",
    ]
    list_filter = [
        "state",
        "owner_department",
        "project__district",
        "project__sector",
    ]
    search_fields = ["description", "project__name", "project__code"]
    list_select_related = ["project", "owner_department"]
    list_per_page = 50
    actions = ["handle_problems", "solve_problems", "reopen_problems"]
    readonly_fields = [
        "project_text",
        "state",
        "raised_on",
        "progress_update",
        "handling_since",
        "solved_at",
        "resolution",
        "history",
    ]

    def get_queryset(self, request):
        scope = user_scope(request.user)
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if scope.everything:
            return queryset  # (an empty Q OR'ed with another is only the other)
        return queryset.filter(
            scope.project_q("project__")
            | Q(owner_department_id__in=scope.department_ids)
        )

    def has_add_permission(self, request):
        return _staff(request.user)

    def has_change_permission(self, request, obj=None):
        # Owner and due date are the supervisors'; actions check their own rules.
        return is_supervisor(request.user) or _writer(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["project", "description", "owner_department"]}),
                (None, {"fields": ["due_date"]}),
            ]
        return [
            (None, {"fields": ["project_text", "description", "progress_update"]}),
            (
                _("协调责任（督查员调整）"),
                {
                    "fields": [
                        "owner_department",
                        "due_date",
                        "change_reason",
                        "version_seen",
                    ]
                },
            ),
            (
                _("状态"),
                {
                    "fields": [
                        "state",
                        "raised_on",
                        "handling_since",
                        "solved_at",
                        "resolution",
                    ]
                },
            ),
            (_("变更记录"), {"fields": ["history"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None:
            fields.append("description")
            if not is_supervisor(request.user) or obj.state == ProblemState.SOLVED:
                fields += ["owner_department", "due_date"]
        return fields

    def save_form(self, request, form, change):
        return form.result

    def save_model(self, request, obj, form, change):
        """Already saved by the service during validation."""

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here."""

    @admin.display(description=_("项目"))
    def project_text(self, obj):
        return str(obj.project)

    @admin.display(description=_("问题"))
    def short_description(self, obj):
        return (
            obj.description
            if len(obj.description) <= 40
            else (obj.description[:40] + "…")
        )

    @admin.display(description=_("已提出（天）"))
    def days_open(self, obj):
        end = (
            timezone.localtime(obj.solved_at).date()
            if obj.solved_at
            else timezone.localdate()
        )
        return (end - obj.raised_on).days

    @admin.display(description=_("超时限"))
    def late_flag(self, obj):
        if obj.state != ProblemState.SOLVED and obj.due_date < timezone.localdate():
            return format_html('<strong style="color:#ba2121">{}</strong>', _("超时限"))
        return ""

    @admin.display(description=_("变更记录"))
    def history(self, obj):
        return history_table(obj)

    def _apply(self, request, queryset, service, verb, **kwargs):
        done, refused = 0, []
        for problem in queryset.select_related("project"):
            try:
                service(problem=problem, actor=request.user, **kwargs)
                done += 1
            except SERVICE_ERRORS as exc:
                text = getattr(exc, "message", None)
                if not isinstance(text, str):
                    text = "；".join(getattr(exc, "messages", [str(exc)]))
                refused.append(f"{problem}：{text}")
        if done:
            self.message_user(request, f"已{verb} {done} 个问题。", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                format_html(
                    "{}<ul>{}</ul>",
                    f"{len(refused)} 个未能{verb}：",
                    format_html_join("", "<li>{}</li>", ((line,) for line in refused)),
                ),
                messages.ERROR,
            )

    def _with_text(self, request, queryset, *, action, label, intro, service, key):
        if "apply" in request.POST:
            form = ProblemTextForm(request.POST)
            form.fields["text"].label = label
            if form.is_valid():
                self._apply(
                    request,
                    queryset,
                    service,
                    action[1],
                    **{key: form.cleaned_data["text"]},
                )
                return None
        else:
            form = ProblemTextForm()
            form.fields["text"].label = label
        return TemplateResponse(
            request,
            "admin/dossier/dossier_action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": action[1],
                "intro": intro,
                "items": queryset.select_related("project"),
                "form": form,
                "action": action[0],
                "submit_label": _("确认"),
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("开始协调所选问题"))
    def handle_problems(self, request, queryset):
        self._apply(request, queryset, problems.problem_handle, "开始协调")

    @admin.action(description=_("标记所选问题已解决（需填写解决情况）"))
    def solve_problems(self, request, queryset):
        return self._with_text(
            request,
            queryset,
            action=("solve_problems", "标记已解决"),
            label=_("解决情况"),
            intro=_("将以下问题标记为已解决，请说明解决情况："),
            service=problems.problem_solve,
            key="resolution",
        )

    @admin.action(description=_("重新打开所选问题（需填写原因）"))
    def reopen_problems(self, request, queryset):
        return self._with_text(
            request,
            queryset,
            action=("reopen_problems", "重新打开"),
            label=_("重新打开原因"),
            intro=_("将重新打开以下已解决的问题，请说明原因："),
            service=problems.problem_reopen,
            key="reason",
        )


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(size, 1) / 1024:.0f} KB"


def attachment_preview(obj: Attachment) -> str:
    """A thumbnail (images) or a link (documents), both through the scoped view."""
    url = reverse("admin:dossier_attachment_file", args=[obj.pk])
    if obj.is_image:
        thumb = reverse("admin:dossier_attachment_thumbnail", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank"><img src="{}" alt="{}" '
            'style="max-width:120px;max-height:90px"></a>',
            url,
            thumb,
            obj.title or obj.original_name,
        )
    return format_html('<a href="{}">{}</a>', url, _("下载"))


class AttachmentForm(forms.ModelForm):
    project = forms.ModelChoiceField(label=_("项目"), queryset=Project.objects.none())
    progress_update = forms.ModelChoiceField(
        label=_("所属进度更新"),
        queryset=ProgressUpdate.objects.none(),
        required=False,
        help_text=_("可选：照片或文件属于某期进度更新时选择。"),
    )
    upload = forms.FileField(
        label=_("文件"),
        help_text=_("允许：%(types)s；按文件内容识别类型，后缀须与内容一致。")
        % {"types": attachment_services.ALLOWED_TEXT},
    )

    class Meta:
        model = Attachment
        fields = ["kind", "title"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result = None
        self.fields["project"].queryset = _scoped_projects(self.request_user)
        self.fields["progress_update"].queryset = ProgressUpdate.objects.filter(
            user_scope(self.request_user).project_q("year_record__project__")
        ).select_related("year_record__project")

    def _post_clean(self):
        # The upload service validates the file and the row; nothing to do here.
        pass

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.result = attachment_services.attachment_add(
                project=cleaned["project"],
                actor=self.request_user,
                upload=cleaned["upload"],
                kind=cleaned["kind"],
                title=cleaned.get("title") or "",
                progress_update=cleaned.get("progress_update"),
            )
        except SERVICE_ERRORS as exc:
            _service_errors(self, exc)
        return cleaned


@admin.register(Attachment)
class AttachmentAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Photos and documents; files served only through the scoped view below."""

    form = AttachmentForm
    list_display = [
        "preview",
        "project",
        "kind",
        "title",
        "original_name",
        "size_text",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["kind", "project__district", "project__sector"]
    search_fields = ["title", "original_name", "project__name", "project__code"]
    list_select_related = ["project", "uploaded_by"]
    list_per_page = 50
    readonly_fields = [
        "preview",
        "project",
        "progress_update",
        "kind",
        "title",
        "original_name",
        "content_type",
        "size_text",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "history",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            # Attachments are read-only once stored: a plain form, no upload.
            kwargs["fields"] = []
            kwargs["form"] = forms.ModelForm
            return super().get_form(request, obj, change, **kwargs)
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["project", "progress_update", "kind", "title"]}),
                (None, {"fields": ["upload"]}),
            ]
        return [(None, {"fields": self.readonly_fields})]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # Attachments are added or removed, never edited in place.
        return False

    def has_delete_permission(self, request, obj=None):
        return _writer(request.user)

    def save_form(self, request, form, change):
        return form.result

    def save_model(self, request, obj, form, change):
        """Already saved by attachment_add during validation."""

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here."""

    def delete_model(self, request, obj):
        attachment_services.attachment_delete(attachment=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            attachment_services.attachment_delete(attachment=obj, actor=request.user)

    def get_urls(self):
        return [
            path(
                "<int:attachment_id>/file/",
                self.admin_site.admin_view(attachment_services.attachment_response),
                name="dossier_attachment_file",
            ),
            path(
                "<int:attachment_id>/thumbnail/",
                self.admin_site.admin_view(self.thumbnail_view),
                name="dossier_attachment_thumbnail",
            ),
            *super().get_urls(),
        ]

    def thumbnail_view(self, request, attachment_id):
        return attachment_services.attachment_response(
            request, attachment_id, thumbnail=True
        )

    @admin.display(description=_("预览"))
    def preview(self, obj):
        return attachment_preview(obj)

    @admin.display(description=_("大小"), ordering="size")
    def size_text(self, obj):
        return human_size(obj.size)

    @admin.display(description=_("变更记录"))
    def history(self, obj):
        return history_table(obj)


@admin.register(HealthRule)
class HealthRuleAdmin(admin.ModelAdmin):
    """The traffic-light rules, as supervisors read and change them."""

    list_display = ["text_display", "kind", "threshold", "light", "active", "note"]
    list_editable = ["threshold", "light", "active"]
    list_display_links = ["text_display"]
    fields = ["kind", "threshold", "light", "active", "note", "history"]
    readonly_fields = ["history"]

    def has_module_permission(self, request):
        return _staff(request.user)

    def has_view_permission(self, request, obj=None):
        return _staff(request.user)

    def has_change_permission(self, request, obj=None):
        return is_supervisor(request.user)

    def has_add_permission(self, request):
        return is_administrator(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_administrator(request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None:
            fields.append("kind")
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.full_clean()
            obj.save()
            audit_log(
                instance=obj,
                action=AuditAction.CREATE,
                actor=request.user,
                changes={"rule": [None, obj.text]},
            )
        else:
            health.health_rule_update(
                rule=obj,
                actor=request.user,
                data={
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in ("threshold", "light", "active", "note")
                },
            )
        # The lights follow the rules at once.
        health.health_refresh(actor=request.user)

    @admin.display(description=_("规则"))
    def text_display(self, obj):
        return obj.text

    @admin.display(description=_("变更记录"))
    def history(self, obj):
        return history_table(obj)


@admin.register(ProjectHealth)
class ProjectHealthAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The computed lights, read-only: rules are changed in 红绿灯规则."""

    scope_prefix = "project__"
    list_display = ["project", "light", "reason_text", "light_since", "computed_at"]
    list_filter = ["light", "project__district", "project__sector"]
    search_fields = ["project__name", "project__code"]
    list_select_related = ["project"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("原因"))
    def reason_text(self, obj):
        return "；".join(str(reason) for reason in obj.reasons or [])
