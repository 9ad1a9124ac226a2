"""The clerks' desk: projects and year records, scoped, written through services.

The two admins here are bases, not registered: the apps above add to these pages
(the dossier's inlines and columns, the Excel buttons), and ``projects.bootstrap``
composes the bases with their mixins and registers each page once.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.admin import (
    AuditHistoryMixin,
    ReviewActionsMixin,
    ServiceModelForm,
    add_service_errors,
    history_table,
)
from portfolio.choices import UNSUBMITTED_STATES, ReviewAction, ReviewState
from portfolio.exceptions import TransitionNotAllowed
from portfolio.fields import SHORT_TEXT
from portfolio.review_admin import ReviewButtonsMixin, may_edit
from portfolio.selectors import (
    current_plan,
    is_administrator,
    is_clerk,
    is_supervisor,
    user_scope,
)
from projects import services
from projects.choices import Phase, phase_label
from projects.models import Project, YearRecord
from projects.plan_filters import (
    PlanListFilter,
    RecordPlanListFilter,
    RecordTableListFilter,
    TableListFilter,
    plan_years,
)
from projects.selectors import ALL_YEARS, reporting_year


class CurrentYearStateFilter(admin.SimpleListFilter):
    """Projects by the review state of this year's record (annotated)."""

    title = _("本年度审核状态")
    parameter_name = "current_state"

    def lookups(self, request, model_admin):
        return ReviewState.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(current_state=self.value())
        return queryset


class CurrentYearPhaseFilter(admin.SimpleListFilter):
    """Projects by the phase of this year's record (annotated)."""

    title = _("本年度阶段")
    parameter_name = "current_phase"

    def lookups(self, request, model_admin):
        return Phase.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(current_phase=self.value())
        return queryset


class YearRangeFilter(admin.SimpleListFilter):
    """Projects under construction in the chosen year."""

    title = _("建设年度")
    parameter_name = "active_year"

    def lookups(self, request, model_admin):
        return [(str(y), gettext("%(year)s年") % {"year": y}) for y in plan_years()]

    def queryset(self, request, queryset):
        # A year typed into the address that is no year (?active_year=abc) is
        # ignored, as an unknown parameter would be, not a server error.
        value = self.value() or ""
        if value.isascii() and value.isdigit():
            year = int(value)
            return queryset.filter(start_year__lte=year, end_year__gte=year)
        return queryset


class ReportingYearFilter(admin.SimpleListFilter):
    """Year records of one year, the current reporting year unless chosen.

    Six years of records per project make an unreadable list: it opens on this
    year's reports, and 全部年度 (``?year=all``) lists every year.
    """

    title = _("年度")
    parameter_name = "year"

    def __init__(self, request, params, model, model_admin):
        # Links written for the plain field filter (``?year__exact=2025``) still
        # choose their year.
        if self.parameter_name not in params and "year__exact" in params:
            params[self.parameter_name] = params.pop("year__exact")
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        plan = current_plan()
        first = plan.start_year if plan else reporting_year()
        last = max(reporting_year(), plan.end_year if plan else reporting_year())
        years = [
            (str(y), _("%(year)s年") % {"year": y}) for y in range(first, last + 1)
        ]
        return [(ALL_YEARS, _("全部年度")), *years]

    def value(self):
        chosen = super().value()
        return chosen or str(reporting_year())

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == ALL_YEARS:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(year=int(value))


# A project as people cite it: 表1-1 (or 1-1, or its code t1-001): a table's
# number and the number within it, after at most two other characters.
REFERENCE = re.compile(r"[^\d\s]{0,2}\s*(\d+)\s*[-\uff0d\u2014]\s*(\d+)")


class ScopedAdminMixin(AuditHistoryMixin):
    """Only objects within the user's departments are listed or reachable.

    The search finds a project by its reference (表1-1) as well as by its name.
    """

    scope_prefix = ""

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only: the version the form was opened at is not shown.
            fields = [name for name in fields if name != "version_seen"]
        return fields

    def get_search_results(self, request, queryset, search_term):
        match = REFERENCE.fullmatch(search_term.strip())
        if match:
            table, number = (int(group) for group in match.groups())
            prefix = self.scope_prefix
            found = queryset.filter(
                **{f"{prefix}table__number": table, f"{prefix}number": number}
            )
            return found, False
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(user_scope(request.user).project_q(self.scope_prefix))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProjectForm(ServiceModelForm):
    """The project's own fields, saved by ``project_update`` in ``clean()``.

    Moving the project (district, sector, department) is a supervisor's act
    and needs ``move_reason``; a clerk sees those fields read-only.
    """

    move_reason = forms.CharField(
        label=_("变更原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("改县区、产业或责任单位（移动项目）时必填，记入变更记录。"),
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

    def clean(self):
        cleaned = super().clean()
        if self.errors or not self.instance.pk:
            return cleaned
        data = {}
        for name in self.changed_data:
            if name in ("version_seen", "move_reason"):
                continue
            if name == "clusters":
                data["clusters"] = list(cleaned["clusters"])
            elif name in ("district", "sector", "department"):
                data[f"{name}_id"] = cleaned[name].pk if cleaned[name] else None
            else:
                data[name] = cleaned[name]
        try:
            services.project_update(
                project=self.instance,
                actor=self.request_user,
                data=data,
                expected_version=cleaned.get("version_seen"),
                reason=cleaned.get("move_reason") or "",
            )
        except (ValidationError, PermissionDenied, services.StaleWrite) as exc:
            add_service_errors(self, exc)
        return cleaned


class YearRecordLinks(admin.TabularInline):
    """Year records shown on the project page, each linking to its own form."""

    model = YearRecord
    fields = ["year_link", "state", "phase_label", "actual_investment", "due_date"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("年度记录（点击年度填报）")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("年度"))
    def year_link(self, obj):
        url = reverse("admin:projects_yearrecord_change", args=[obj.pk])
        return format_html(gettext('<a href="{}">{}年</a>'), url, obj.year)

    @admin.display(description=_("年度阶段"))
    def phase_label(self, obj):
        return obj.phase_label


class ProjectAdminBase(ScopedAdminMixin, admin.ModelAdmin):
    """The project page as ``projects`` alone defines it; not registered.

    ``projects.bootstrap.admin.ProjectAdmin`` adds the other apps' mixins to it and
    registers the result.
    """

    form = ProjectForm
    list_display = [
        "reference",
        "name",
        "district",
        "sector",
        "period",
        "current_state_display",
        "current_phase_display",
    ]
    list_filter = [
        PlanListFilter,
        "status",
        TableListFilter,
        "sector",
        "district",
        "clusters",
        YearRangeFilter,
        CurrentYearStateFilter,
        CurrentYearPhaseFilter,
        "start_year",
        "end_year",
    ]
    search_fields = ["name", "code", "content"]
    list_select_related = ["district", "sector", "table"]
    readonly_fields = [
        "reference",
        "plan",
        "table",
        "number",
        "status",
        "continues",
        "continued_by_link",
        "phase_display",
        "history",
    ]
    inlines = [YearRecordLinks]
    filter_horizontal = ["clusters"]
    list_per_page = 50

    def get_queryset(self, request):
        year = timezone.localdate().year
        current = YearRecord.objects.filter(project=OuterRef("pk"), year=year)
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_state=Subquery(current.values("state")[:1]),
                current_phase=Subquery(current.values("phase")[:1]),
            )
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        """A clerk corrects the description and does not move the project
        (district, sector, department read-only); a supervisor moves it and
        leaves the description to the clerks; an administrator does both."""
        fields = list(super().get_readonly_fields(request, obj))
        # The plan's own fields change by an adjustment (项目调整) only.
        fields += [name for name in services.PLAN_OWN_FIELDS if name not in fields]
        if not is_supervisor(request.user):
            fields += ["district", "sector", "department"]
        elif not (is_clerk(request.user) or is_administrator(request.user)):
            fields += [
                name
                for name in ProjectForm.Meta.fields
                if name not in ("district", "sector", "department")
            ]
        return fields

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not is_supervisor(request.user) and "move_reason" in fields:
            fields.remove("move_reason")
        return fields

    def save_model(self, request, obj, form, change):
        """Already saved by ``project_update`` during validation."""

    def has_delete_permission(self, request, obj=None):
        """A hard delete, for mistakes: administrators only (a tombstone stays)."""
        return is_administrator(request.user)

    def delete_model(self, request, obj):
        services.project_delete(
            project=obj, actor=request.user, reason=gettext("管理员在后台删除")
        )

    def delete_queryset(self, request, queryset):
        for project in queryset:
            self.delete_model(request, project)

    def get_deleted_objects(self, objs, request):
        """The year records and the rest go with the project (``project_delete``):
        an administrator needs no delete right on each of those pages."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        return deleted, counts, set(), protected

    def save_related(self, request, form, formsets, change):
        """Clusters are set by the service too; the inlines are read-only links.

        The admin's change message still reads each formset's saved objects.
        """
        for formset in formsets:
            formset.new_objects = []
            formset.changed_objects = []
            formset.deleted_objects = []

    @admin.display(description=_("本年度状态"), ordering="current_state")
    def current_state_display(self, obj):
        return ReviewState(obj.current_state).label if obj.current_state else "—"

    @admin.display(description=_("本年度阶段"), ordering="current_phase")
    def current_phase_display(self, obj):
        return phase_label(
            obj.current_phase or "", year=reporting_year(), start_year=obj.start_year
        )

    @admin.display(description=_("编号"), ordering="table__number")
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_("续建为"))
    def continued_by_link(self, obj):
        following = getattr(obj, "continued_by", None) if obj.pk else None
        return str(following) if following else "—"

    @admin.display(description=_("当前阶段"))
    def phase_display(self, obj):
        return obj.phase_label

    @admin.display(description=_("变更记录"))
    def history(self, obj):
        return history_table(obj)


class YearRecordForm(ServiceModelForm):
    """A year's report, saved by ``year_record_update`` in ``clean()``."""

    reason = forms.CharField(
        label=_("阶段变更原因"),
        required=False,
        max_length=SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("停缓建或取消时必填。"),
    )

    class Meta:
        model = YearRecord
        fields = list(services.YEAR_RECORD_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if self.errors or not self.instance.pk:
            return cleaned
        data = {
            name: cleaned.get(name)
            for name in self.changed_data
            if name in services.YEAR_RECORD_FIELDS
        }
        for name in ("progress", "problems", "next_steps", "phase"):
            if name in data and data[name] is None:
                data[name] = ""
        self.stored = False
        if not data:
            return cleaned
        try:
            saved = services.year_record_update(
                record=self.instance,
                actor=self.request_user,
                data=data,
                expected_version=cleaned.get("version_seen"),
                reason=cleaned.get("reason") or "",
            )
            self.stored = saved.version != self.instance.version
        except (
            ValidationError,
            PermissionDenied,
            TransitionNotAllowed,
            services.StaleWrite,
        ) as exc:
            add_service_errors(self, exc)
        return cleaned


class YearRecordAdminBase(
    ReviewButtonsMixin, ReviewActionsMixin, ScopedAdminMixin, admin.ModelAdmin
):
    """The year-record page as ``projects`` alone defines it; not registered.

    It carries the review: actions on the list, buttons on the record's page (by
    role), a read-only page where the user cannot change the record.
    ``projects.bootstrap.admin.YearRecordAdmin`` adds the other apps' mixins to it
    and registers the result.
    """

    review_argument = "record"
    review_noun = _("年度记录")
    review_related = "project"
    review_services = {
        ReviewAction.SUBMIT: services.year_record_submit,
        ReviewAction.APPROVE: services.year_record_approve,
        ReviewAction.RETURN: services.year_record_return,
        ReviewAction.REOPEN: services.year_record_reopen,
    }

    scope_prefix = "project__"
    form = YearRecordForm
    list_display = [
        "project_name",
        "year",
        "state",
        "phase_display",
        "actual_investment",
        "percent_complete",
        "due_date",
        "overdue_flag",
    ]
    list_filter = [
        RecordPlanListFilter,
        ReportingYearFilter,
        "state",
        "phase",
        "project__sector",
        "project__district",
        RecordTableListFilter,
    ]
    search_fields = ["project__name", "project__code"]
    list_select_related = ["project", "project__table"]
    readonly_fields = [
        "project",
        "year",
        "state",
        "due_date",
        "submitted_at",
        "returned_at",
        "approved_at",
        "return_reason",
        "history",
    ]
    actions = ["submit_records", "approve_records", "return_records"]
    list_per_page = 50

    fieldsets = [
        (None, {"fields": ["project", "year", "state", "due_date", "return_reason"]}),
        (
            _("本年度填报"),
            {
                "fields": [
                    "phase",
                    "reason",
                    "planned_investment",
                    "actual_investment",
                    "percent_complete",
                    "progress",
                    "problems",
                    "next_steps",
                    "version_seen",
                ]
            },
        ),
        (_("审核"), {"fields": ["submitted_at", "returned_at", "approved_at"]}),
        (_("变更记录"), {"fields": ["history"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        """The title says which year is listed (the filter's default is this year)."""
        year = request.GET.get(ReportingYearFilter.parameter_name) or str(
            reporting_year()
        )
        title = (
            _("年度记录（全部年度）")
            if year == ALL_YEARS
            else _("年度记录（%(year)s年度）") % {"year": year}
        )
        return super().changelist_view(
            request, {"title": title, **(extra_context or {})}
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The form's own fields (with the reason and the version it was opened
        # at); none where the page is read-only.
        kwargs["fields"] = None if obj is None or may_edit(request.user, obj) else []
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None or may_edit(request.user, obj):
            return self.fieldsets
        # Read-only: the form's own inputs (reason, version) have nothing to show,
        # and the phase reads as on every page (在建（续建）).
        form_only = {"reason", "version_seen"}
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "phase_display" if f == "phase" else f
                        for f in options["fields"]
                        if f not in form_only
                    ],
                },
            )
            for name, options in self.fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and not may_edit(request.user, obj):
            fields += [*services.YEAR_RECORD_FIELDS, "phase_display"]
        return fields

    def save_model(self, request, obj, form, change):
        """Already saved by ``year_record_update`` during validation; remember
        whether anything was stored, for the message (``response_change``)."""
        obj._service_stored = getattr(form, "stored", True)

    @admin.display(description=_("项目"), ordering="project__table")
    def project_name(self, obj):
        return str(obj.project)

    @admin.display(description=_("年度阶段"), ordering="phase")
    def phase_display(self, obj):
        return obj.phase_label

    @admin.display(description=_("逾期"))
    def overdue_flag(self, obj):
        if obj.state in UNSUBMITTED_STATES and obj.due_date < timezone.localdate():
            return format_html(
                '<strong style="color:#ba2121">{}</strong>', _("逾期未报")
            )
        return ""

    @admin.display(description=_("变更记录"))
    def history(self, obj):
        return history_table(obj)

    @admin.action(description=_("提交所选年度记录"))
    def submit_records(self, request, queryset):
        self.review_each(request, queryset, services.year_record_submit, _("提交"))

    @admin.action(description=_("审核通过所选年度记录"))
    def approve_records(self, request, queryset):
        self.review_each(request, queryset, services.year_record_approve, _("审核通过"))

    @admin.action(description=_("退回所选年度记录（需填写原因）"))
    def return_records(self, request, queryset):
        return self.review_with_reason(
            request,
            queryset,
            services.year_record_return,
            _("退回"),
            action="return_records",
            title=_("退回年度记录"),
            intro=_("将退回以下年度记录，填报员会看到退回原因："),
            reason_label=_("退回原因"),
        )
