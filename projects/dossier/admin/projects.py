"""The dossier's part of the project and year-record pages, as mixins.

``projects.bootstrap.admin`` composes them with the bases of ``projects.admin``
(and the Excel mixins) and registers each page once.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.admin import ServiceModelForm, add_service_errors
from portfolio.fields import SHORT_TEXT
from portfolio.selectors import is_supervisor
from projects.dossier import health
from projects.dossier import services as dossier
from projects.dossier.admin.attachments import AttachmentLinks
from projects.dossier.admin.common import (
    SERVICE_ERRORS,
    can_read_dossier,
    can_write_dossier,
)
from projects.dossier.admin.health import HealthLightFilter, light_badge
from projects.dossier.admin.problems import ProblemLinks
from projects.dossier.admin.progress import ProgressUpdateLinks
from projects.dossier.models import ProjectDossier
from projects.models import YearRecord

# Where a reason starts citing its rule, "（规则：…）" (``projects.dossier.health``).
RULE_NOTE_START = _("（规则：")


def _amount(value) -> str:
    """万元 without trailing zeros (1200, 37.5), so the column stays narrow."""
    if value is None:
        return "—"
    return format(value.normalize(), "f")


def _related_or_none(obj, name: str):
    """A reverse one-to-one loaded by select_related, or None (never a query)."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


class ProjectDossierForm(ServiceModelForm):
    """Money and people, saved by ``project_dossier_update`` in ``clean()``."""

    change_reason = forms.CharField(
        label=_("修改说明"),
        required=False,
        max_length=SHORT_TEXT,
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
            add_service_errors(self, exc)
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
        return can_read_dossier(request.user)

    def has_add_permission(self, request, obj=None):
        return can_write_dossier(request.user)

    def has_change_permission(self, request, obj=None):
        return can_write_dossier(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class DossierProjectAdminMixin:
    """The dossier's part of the project page, mixed over ``ProjectAdminBase``.

    The list gains the light, its reasons and the money; the page gains the
    dossier (money and people), the problems and the attachments. Every hook calls
    ``super()`` and adds to what it returns, so the mixins of other apps compose
    in any order. Light and money come from the same query as the row
    (select_related of the stored light and the dossier, subqueries for this
    year's figures).
    """

    dossier_list_display = [
        "light_display",
        "reasons_display",
        "total_investment_display",
        "year_money_display",
    ]
    dossier_list_select_related = ["dossier", "health"]

    def get_list_display(self, request):
        return [*super().get_list_display(request), *self.dossier_list_display]

    def get_list_filter(self, request):
        return [HealthLightFilter, *super().get_list_filter(request)]

    def get_list_select_related(self, request):
        return [
            *super().get_list_select_related(request),
            *self.dossier_list_select_related,
        ]

    def get_inlines(self, request, obj):
        # The dossier first (it is edited), the read-only links after the base's.
        return [
            ProjectDossierInline,
            *super().get_inlines(request, obj),
            ProblemLinks,
            AttachmentLinks,
        ]

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
        # Added to the base's actions rather than declared in ``actions``, which
        # would replace them; a popup gets no actions, as in Django.
        if is_supervisor(request.user) and IS_POPUP_VAR not in request.GET:
            func, name, description = self.get_action("refresh_health")
            actions[name] = (func, name, description)
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
        # The list shows what is wrong; the rule that judged it is in the tooltip
        # and on the project's page (a narrow column at 1366 px).
        return format_html_join(
            "",
            '<div class="reason" title="{}">{}</div>',
            ((r, r.split(str(RULE_NOTE_START), 1)[0]) for r in state.reasons),
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
        return f"{_amount(planned)} / {_amount(actual)}"

    @admin.display(description=_("红绿灯"))
    def light_detail(self, obj):
        state = _related_or_none(obj, "health")
        if state is None:
            return light_badge(None)
        since = timezone.localtime(state.light_since).strftime("%Y-%m-%d")
        computed = timezone.localtime(state.computed_at).strftime("%Y-%m-%d %H:%M")
        return format_html(
            gettext("{} <small>（{} 起；计算于 {}）</small><ul>{}</ul>"),
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
            gettext(
                "已重新计算 %(computed)s 个项目，灯色变化 %(changed)s 个，"
                "新变红 %(red)s 个。"
            )
            % {
                "computed": report.computed,
                "changed": len(report.changed),
                "red": len(report.turned_red),
            },
            messages.SUCCESS,
        )


class DossierYearRecordAdminMixin:
    """The dossier's part of the year-record page: the year's progress updates.

    Mixed over ``YearRecordAdminBase``; the links come after the base's inlines.
    """

    def get_inlines(self, request, obj):
        return [*super().get_inlines(request, obj), ProgressUpdateLinks]
