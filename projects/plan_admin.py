"""Admin pages of plans as data: the plan tables, adjustments (项目调整), and the
plan page's actions (续建 to the next plan, make a plan current).

Bases, not registered: ``projects.bootstrap.admin`` adds the workbook import
(``projects.exchange``) and registers them.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.admin import AuditHistoryMixin, ReviewActionsMixin
from portfolio.models import Plan
from portfolio.selectors import is_administrator, is_supervisor, user_scope
from projects import adjustments as adjust
from projects.carry_over import carry_over
from projects.choices import AdjustmentKind
from projects.models import Adjustment, Project


class PlanTableAdminBase(admin.ModelAdmin):
    """A plan's tables (表N): number, title, sector; the plan picker filters."""

    list_display = ["label", "title", "plan", "sector", "project_count"]
    list_filter = ["plan"]
    search_fields = ["title"]
    list_select_related = ["plan", "sector"]

    @admin.display(description=_("表号"), ordering="number")
    def label(self, obj):
        return obj.label

    @admin.display(description=_("项目数"))
    def project_count(self, obj):
        return obj.projects.count()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AdjustmentForm(forms.ModelForm):
    """Proposing an adjustment: validated and saved by ``adjustment_propose``."""

    class Meta:
        model = Adjustment
        fields = [
            "plan",
            "kind",
            "project",
            "table",
            "reason",
            "document_ref",
            "payload",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors or self.instance.pk:
            return cleaned
        try:
            self.instance = adjust.adjustment_propose(
                plan=cleaned["plan"],
                kind=AdjustmentKind(cleaned["kind"]),
                actor=self.request_user,
                reason=cleaned.get("reason") or "",
                document_ref=cleaned.get("document_ref") or "",
                project=cleaned.get("project"),
                table=cleaned.get("table"),
                payload=cleaned.get("payload") or {},
            )
        except (ValidationError, PermissionDenied) as exc:
            messages_of = getattr(exc, "message_dict", None)
            if messages_of:
                for name, errors in messages_of.items():
                    target = name if name in self.fields else None
                    for error in errors:
                        self.add_error(target, error)
            else:
                self.add_error(None, str(exc))
        return cleaned


class AdjustmentAdminBase(ReviewActionsMixin, AuditHistoryMixin, admin.ModelAdmin):
    """项目调整: a clerk proposes and submits, a supervisor approves or returns."""

    form = AdjustmentForm
    review_argument = "adjustment"
    review_noun = _("项目调整")
    review_related = "project"
    list_display = [
        "id",
        "kind",
        "project",
        "table",
        "plan",
        "state",
        "document_ref",
        "created_at",
    ]
    list_filter = ["plan", "kind", "state"]
    search_fields = ["reason", "document_ref", "project__name", "project__code"]
    list_select_related = ["plan", "project", "project__table", "table"]
    actions = ["submit_adjustments", "approve_adjustments", "return_adjustments"]
    raw_id_fields = ["project"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = user_scope(request.user)
        if scope.everything:
            return queryset
        return queryset.filter(
            project__in=Project.objects.filter(scope.project_q())
        ) | queryset.filter(department_id__in=scope.department_ids)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["state"]
        return [f.name for f in self.model._meta.fields] + ["history"]

    def save_model(self, request, obj, form, change):
        """Saved by ``adjustment_propose`` during validation."""

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("提交所选项目调整"))
    def submit_adjustments(self, request, queryset):
        self.review_each(request, queryset, adjust.adjustment_submit, _("提交"))

    @admin.action(description=_("审核通过并执行所选项目调整"))
    def approve_adjustments(self, request, queryset):
        self.review_each(request, queryset, adjust.adjustment_approve, _("审核通过"))

    @admin.action(description=_("退回所选项目调整（需填写原因）"))
    def return_adjustments(self, request, queryset):
        return self.review_with_reason(
            request,
            queryset,
            adjust.adjustment_return,
            _("退回"),
            action="return_adjustments",
            title=_("退回项目调整"),
            intro=_("将退回以下项目调整："),
            reason_label=_("退回原因"),
        )


@admin.action(description=_("将所选规划的未完工项目续建到下一规划"))
def carry_over_to_next(modeladmin, request, queryset):
    """The plan page's action: 续建 each selected plan into the one after it."""
    if not is_supervisor(request.user):
        raise PermissionDenied
    for plan in queryset:
        following = (
            Plan.objects.filter(start_year__gt=plan.start_year)
            .order_by("start_year")
            .first()
        )
        if following is None:
            messages.warning(
                request, gettext("%(plan)s之后还没有规划。") % {"plan": plan}
            )
            continue
        report = carry_over(old_plan=plan, new_plan=following, actor=request.user)
        messages.success(request, gettext("；").join(report.lines()[:3]))
        if report.unmatched:
            messages.warning(request, report.lines()[-1])


@admin.action(description=_("设为当前规划"))
def make_current(modeladmin, request, queryset):
    """The plan page's action: the office moves to this plan (lists default to it)."""
    if not is_administrator(request.user) or queryset.count() != 1:
        messages.error(request, gettext("请由管理员选择一个规划。"))
        return
    plan = queryset.get()
    with transaction.atomic():
        Plan.objects.exclude(pk=plan.pk).update(is_current=False)
        Plan.objects.filter(pk=plan.pk).update(is_current=True)
    messages.success(request, gettext("当前规划：%(plan)s") % {"plan": plan})


PLAN_PAGE_ACTIONS = [carry_over_to_next, make_current]
