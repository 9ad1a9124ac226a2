"""Admin of the plan's indicators, their targets, reported values and progress.

Values are written through ``indicators.services`` (create, update, submit,
approve, return, reopen), as year records are; the progress column and filter use
``indicators.progress`` — the same function as the API.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import IntegerField, Value
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.admin import (
    AuditHistoryMixin,
    ReviewActionsMixin,
    ServiceModelForm,
    add_service_errors,
    history_table,
)
from portfolio.exceptions import TransitionNotAllowed
from portfolio.selectors import current_plan

from . import services
from .choices import EDITABLE_STATES, ProgressStatus
from .models import Indicator, IndicatorTarget, IndicatorValue
from .progress import indicator_progress, indicator_progress_by_year, plan_years
from .selectors import (
    default_progress_year,
    indicator_values_for,
    indicators_by_status,
    indicators_queryset,
    value_due_date,
)

STATUS_COLOURS = {
    ProgressStatus.MET: "#2e7d32",
    ProgressStatus.ON_TRACK: "#1565c0",
    ProgressStatus.BEHIND: "#ba2121",
    ProgressStatus.NOT_REPORTED: "#777",
}


def _status_html(status: ProgressStatus, suffix: str = ""):
    return format_html(
        '<strong style="color:{}">{}</strong>{}',
        STATUS_COLOURS[ProgressStatus(status)],
        ProgressStatus(status).label,
        suffix,
    )


def _number(value) -> str:
    return "—" if value is None else format(value.normalize(), "f")


def _progress_year(request) -> int:
    plan = current_plan()
    today = timezone.localdate()
    default = default_progress_year(plan, today) if plan else today.year
    raw = request.GET.get(ProgressYearFilter.parameter_name)
    if (
        raw
        and raw.isdigit()
        and plan
        and int(raw) in range(plan.start_year, plan.end_year + 1)
    ):
        return int(raw)
    return default


class ProgressYearFilter(admin.SimpleListFilter):
    """Chooses the year that the progress column and status filter look at."""

    title = _("进度年度")
    parameter_name = "progress_year"

    def lookups(self, request, model_admin):
        plan = current_plan()
        if plan is None:
            return []
        return [
            (str(y), gettext("%(year)s年") % {"year": y})
            for y in range(plan.start_year, plan.end_year + 1)
        ]

    def queryset(self, request, queryset):
        return queryset


class ProgressStatusFilter(admin.SimpleListFilter):
    title = _("进度状态")
    parameter_name = "progress"

    def lookups(self, request, model_admin):
        return ProgressStatus.choices

    def queryset(self, request, queryset):
        # An unknown status typed into the address (?progress=zz) is ignored.
        if self.value() not in ProgressStatus.values:
            return queryset
        year = _progress_year(request)
        matching = indicators_by_status(
            indicators_queryset().filter(pk__in=queryset.values("pk")),
            year,
            ProgressStatus(self.value()),
        )
        return queryset.filter(pk__in=matching)


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0
    fields = [
        "year",
        "kind",
        "value",
        "value_max",
        "strict",
        "approximate",
        "tolerance",
        "text",
        "source",
    ]


@admin.register(Indicator)
class IndicatorAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "unit",
        "direction",
        "measure",
        "department",
        "targets_display",
        "progress_display",
    ]
    list_filter = [
        ProgressYearFilter,
        ProgressStatusFilter,
        "direction",
        "measure",
        "sector",
        "department",
        "plan",
    ]
    search_fields = ["name", "code", "source_text"]
    readonly_fields = ["progress_table", "history"]
    inlines = [IndicatorTargetInline]
    list_per_page = 100
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "plan",
                    "code",
                    "name",
                    "unit",
                    "direction",
                    "measure",
                    "quantity_unit",
                    "sector",
                    "department",
                    "district",
                    "order",
                ]
            },
        ),
        (
            _("出处与基期"),
            {
                "fields": [
                    "source",
                    "source_text",
                    "baseline_year",
                    "baseline_value",
                    "baseline_text",
                ]
            },
        ),
        (_("各年度进度"), {"fields": ["progress_table"]}),
        (_("变更记录"), {"fields": ["history"]}),
    ]

    def get_queryset(self, request):
        year = _progress_year(request)
        return (
            indicators_queryset()
            .annotate(progress_year=Value(year, output_field=IntegerField()))
            .order_by("plan", "order")
        )

    def save_model(self, request, obj, form, change):
        fields = [name for name in form.changed_data if name in form.fields]
        services.indicator_save(indicator=obj, actor=request.user, fields=fields)

    def save_formset(self, request, form, formset, change):
        """Targets, too, are saved through the services, with their history."""
        for target in formset.save(commit=False):
            target_form = next(f for f in formset.forms if f.instance is target)
            services.indicator_target_save(
                target=target, actor=request.user, fields=target_form.changed_data
            )
        for target in formset.deleted_objects:
            services.indicator_target_delete(target=target, actor=request.user)

    @admin.display(description=_("目标"))
    def targets_display(self, obj):
        return gettext("；").join(t.text.replace("\n", "") for t in obj.targets.all())

    @admin.display(description=_("进度"))
    def progress_display(self, obj):
        year = getattr(obj, "progress_year", None)
        if year is None or year not in plan_years(obj):
            return "—"
        progress = indicator_progress(obj, year)
        return _status_html(progress.status, gettext("（%(year)s年）") % {"year": year})

    @admin.display(description=_("各年度进度"))
    def progress_table(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        rows = format_html_join(
            "",
            gettext(
                "<tr><td>{}年</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"
            ),
            (
                (
                    p.year,
                    _status_html(p.status),
                    _number(p.expected),
                    _number(p.actual),
                    p.note,
                )
                for p in indicator_progress_by_year(obj)
            ),
        )
        return format_html(
            gettext(
                '<table class="progress"><thead><tr><th>年度</th><th>状态</th>'
                "<th>应达</th><th>实际</th><th>说明</th></tr></thead>"
                "<tbody>{}</tbody></table>"
            ),
            rows,
        )

    @admin.display(description=_("变更记录"))
    def history(self, obj):
        return history_table(obj)


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(admin.ModelAdmin):
    list_display = ["indicator", "year", "kind", "value", "value_max", "text"]
    list_filter = ["kind", "year", "indicator"]
    search_fields = ["indicator__name", "text"]

    def save_model(self, request, obj, form, change):
        fields = [name for name in form.changed_data if name in form.fields]
        services.indicator_target_save(target=obj, actor=request.user, fields=fields)

    def delete_model(self, request, obj):
        services.indicator_target_delete(target=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for target in queryset:
            services.indicator_target_delete(target=target, actor=request.user)


class IndicatorValueForm(ServiceModelForm):
    """Adds and edits go through the services; the form only collects the data."""

    class Meta:
        model = IndicatorValue
        fields = ["indicator", "year", *services.VALUE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "indicator" in self.fields:
            allowed = Indicator.objects.all()
            user = getattr(self, "request_user", None)
            if user is not None:
                allowed = allowed.filter(
                    pk__in=[i.pk for i in allowed if services.covers_indicator(user, i)]
                )
            self.fields["indicator"].queryset = allowed

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {
            name: cleaned.get(name)
            for name in services.VALUE_FIELDS
            if not self.instance.pk or name in self.changed_data
        }
        for name in ("source", "note"):
            if name in data and data[name] is None:
                data[name] = ""
        try:
            if self.instance.pk is None:
                self.instance = services.indicator_value_create(
                    indicator=cleaned["indicator"],
                    year=cleaned["year"],
                    actor=self.request_user,
                    data={k: v for k, v in data.items() if v not in (None, "")},
                )
            elif data:
                self.instance = services.indicator_value_update(
                    value=self.instance,
                    actor=self.request_user,
                    data=data,
                    expected_version=cleaned.get("version_seen"),
                )
        except (
            ValidationError,
            PermissionDenied,
            TransitionNotAllowed,
            services.StaleWrite,
        ) as exc:
            add_service_errors(self, exc)
        return cleaned


@admin.register(IndicatorValue)
class IndicatorValueAdmin(AuditHistoryMixin, ReviewActionsMixin, admin.ModelAdmin):
    """Indicators' yearly values, written and reviewed through the services."""

    review_argument = "value"
    review_noun = _("指标年度值")
    review_related = "indicator"

    form = IndicatorValueForm
    list_display = [
        "indicator",
        "year",
        "value_display",
        "rate_display",
        "state",
        "department",
        "progress_display",
        "overdue_flag",
    ]
    list_filter = ["year", "state", "indicator__sector", "department"]
    search_fields = ["indicator__name", "indicator__code", "source"]
    list_select_related = ["indicator", "indicator__plan", "department"]
    actions = ["submit_values", "approve_values", "return_values", "reopen_values"]
    list_per_page = 100

    def get_queryset(self, request):
        return indicator_values_for(request.user).select_related(
            "indicator", "indicator__plan", "department"
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def get_fields(self, request, obj=None):
        fields = ["indicator", "year", *services.VALUE_FIELDS, "version_seen"]
        if obj is not None:
            fields += [
                "department",
                "state",
                "return_reason",
                "submitted_at",
                "returned_at",
                "approved_at",
                "progress_display",
                "history",
            ]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = [
            "indicator",
            "year",
            "department",
            "state",
            "return_reason",
            "submitted_at",
            "returned_at",
            "approved_at",
            "progress_display",
            "history",
        ]
        if obj.state not in EDITABLE_STATES:
            fields += list(services.VALUE_FIELDS)
        return fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Already saved by the service during validation."""

    @admin.display(description=_("数值"), ordering="value")
    def value_display(self, obj):
        unit = obj.indicator.quantity_unit or obj.indicator.unit
        return f"{_number(obj.value)} {unit}" if obj.value is not None else "—"

    @admin.display(description=_("增速（%）"), ordering="rate")
    def rate_display(self, obj):
        return _number(obj.rate)

    @admin.display(description=_("本年度进度"))
    def progress_display(self, obj):
        if obj is None or obj.pk is None or obj.year not in plan_years(obj.indicator):
            return "—"
        progress = indicator_progress(obj.indicator, obj.year)
        return _status_html(progress.status)

    @admin.display(description=_("逾期"))
    def overdue_flag(self, obj):
        due = value_due_date(obj.indicator.plan, obj.year)
        if obj.state in EDITABLE_STATES and due < timezone.localdate():
            return format_html(
                '<strong style="color:#ba2121">{}</strong>', _("逾期未报")
            )
        return ""

    @admin.display(description=_("变更记录"))
    def history(self, obj):
        return history_table(obj)

    def _with_reason(self, request, queryset, service, verb, action, title):
        return self.review_with_reason(
            request,
            queryset,
            service,
            verb,
            action=action,
            title=title,
            intro=_("将%(verb)s以下指标年度值，请写明原因（填报单位会看到）：")
            % {"verb": verb},
        )

    @admin.action(description=_("提交所选指标年度值"))
    def submit_values(self, request, queryset):
        self.review_each(request, queryset, services.indicator_value_submit, _("提交"))

    @admin.action(description=_("审核通过所选指标年度值"))
    def approve_values(self, request, queryset):
        self.review_each(
            request, queryset, services.indicator_value_approve, _("审核通过")
        )

    @admin.action(description=_("退回所选指标年度值（需填写原因）"))
    def return_values(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            services.indicator_value_return,
            _("退回"),
            "return_values",
            _("退回指标年度值"),
        )

    @admin.action(description=_("重新打开所选指标年度值（需填写原因）"))
    def reopen_values(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            services.indicator_value_reopen,
            _("重新打开"),
            "reopen_values",
            _("重新打开指标年度值"),
        )
