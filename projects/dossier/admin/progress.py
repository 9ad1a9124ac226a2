"""Progress updates in the admin: their own pages, the overdue list, and the
links on the year record's page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.admin import ServiceModelForm, add_service_errors, history_table
from portfolio.choices import EDITABLE_STATES
from portfolio.selectors import user_scope
from projects.dossier import selectors
from projects.dossier import services as dossier
from projects.dossier.admin.common import (
    SERVICE_ERRORS,
    ReadOnlyLinksInline,
    RoleAdminMixin,
    can_write_dossier,
)
from projects.dossier.models import ProgressUpdate
from projects.models import Project, YearRecord


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
            add_service_errors(self, exc)
        return cleaned


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Progress updates, period by period; the list warns of overdue periods."""

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
    list_select_related = ["year_record__project", "year_record__project__table"]
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
        # A submitted year is closed, and supervisors only read.
        closed = obj.year_record.state not in EDITABLE_STATES
        if closed or not can_write_dossier(request.user):
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
                    gettext(
                        "您负责范围内有 {} 期进度更新逾期未报，"
                        '<a href="{}">查看清单</a>。'
                    ),
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
                if can_write_dossier(request.user)
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
