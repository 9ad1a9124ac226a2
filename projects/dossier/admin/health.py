"""The traffic light in the admin: its badge and filter, the rules supervisors
change, the computed lights.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.admin import history_table
from portfolio.choices import AuditAction
from portfolio.selectors import is_administrator, is_supervisor
from portfolio.services import audit_log
from projects.admin import ScopedAdminMixin
from projects.choices import HealthLight
from projects.dossier import health
from projects.dossier.admin.common import can_read_dossier
from projects.dossier.models import HealthRule, ProjectHealth

LIGHT_COLOURS = {
    HealthLight.GREEN: "#2e7d32",
    HealthLight.YELLOW: "#f9a825",
    HealthLight.RED: "#c62828",
}


def light_badge(light: str | None, reasons=()) -> str:
    """A coloured dot and the light's name; the reasons in its tooltip."""
    if not light:
        return format_html('<span style="color:#888">{}</span>', _("未计算"))
    return format_html(
        '<span title="{}" style="white-space:nowrap"><span style="display:inline-block;'
        "width:.9em;height:.9em;border-radius:50%;background:{};"
        'vertical-align:middle"></span> {}</span>',
        gettext("；").join(reasons),
        LIGHT_COLOURS[HealthLight(light)],
        HealthLight(light).label,
    )


class HealthLightFilter(admin.SimpleListFilter):
    """Projects by their stored light, or those not computed yet."""

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


@admin.register(HealthRule)
class HealthRuleAdmin(admin.ModelAdmin):
    """The traffic-light rules, as supervisors read and change them."""

    list_display = ["text_display", "kind", "threshold", "light", "active", "note"]
    list_editable = ["threshold", "light", "active"]
    list_display_links = ["text_display"]
    fields = ["kind", "threshold", "light", "active", "note", "history"]
    readonly_fields = ["history"]

    def has_module_permission(self, request):
        return can_read_dossier(request.user)

    def has_view_permission(self, request, obj=None):
        return can_read_dossier(request.user)

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
    list_select_related = ["project", "project__table"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("原因"))
    def reason_text(self, obj):
        return gettext("；").join(str(reason) for reason in obj.reasons or [])
