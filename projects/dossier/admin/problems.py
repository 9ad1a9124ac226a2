"""The coordination problems in the admin: the list, the supervisors'
assignments and actions, and the links on the project page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.admin import ServiceModelForm, add_service_errors, history_table
from portfolio.fields import LONG_TEXT, SHORT_TEXT
from portfolio.review_admin import refusals_message
from portfolio.selectors import is_supervisor, user_scope
from projects.dossier import problems
from projects.dossier.admin.common import (
    SERVICE_ERRORS,
    ReadOnlyLinksInline,
    RoleAdminMixin,
    can_read_dossier,
    can_write_dossier,
    scoped_projects,
)
from projects.dossier.choices import ProblemState
from projects.dossier.models import CoordinationProblem
from projects.models import Project


class ProblemLinks(ReadOnlyLinksInline):
    """The project's coordination problems on its page."""

    model = CoordinationProblem
    fk_name = "project"
    fields = ["problem_link", "owner_department", "due_date", "state", "raised_on"]
    readonly_fields = fields
    verbose_name_plural = _("问题清单")

    @admin.display(description=_("问题"))
    def problem_link(self, obj):
        url = reverse("admin:dossier_coordinationproblem_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.description[:60])


class ProblemForm(ServiceModelForm):
    """Raise a problem, or reassign it, through the services in ``clean()``."""

    project = forms.ModelChoiceField(
        label=_("项目"), queryset=Project.objects.none(), required=False
    )
    change_reason = forms.CharField(
        label=_("调整说明"), required=False, max_length=SHORT_TEXT
    )

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
            self.fields["project"].queryset = scoped_projects(self.request_user)
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
            add_service_errors(self, exc)
        return cleaned


class ProblemTextForm(forms.Form):
    """The text an action asks for (a resolution, a reason to reopen)."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=True, max_length=LONG_TEXT
    )


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
    list_select_related = ["project", "project__table", "owner_department"]
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
        return can_read_dossier(request.user)

    def has_change_permission(self, request, obj=None):
        # Owner and due date are the supervisors'; actions check their own rules.
        return is_supervisor(request.user) or can_write_dossier(request.user)

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
                    text = gettext("；").join(getattr(exc, "messages", [str(exc)]))
                refused.append(
                    gettext("%(object)s：%(message)s")
                    % {"object": problem, "message": text}
                )
        if done:
            self.message_user(
                request,
                gettext("已%(verb)s %(count)s 个问题。")
                % {"verb": verb, "count": done},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                refusals_message(
                    _("%(count)s 个未能%(verb)s：")
                    % {"count": len(refused), "verb": verb},
                    refused,
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
        self._apply(request, queryset, problems.problem_handle, _("开始协调"))

    @admin.action(description=_("标记所选问题已解决（需填写解决情况）"))
    def solve_problems(self, request, queryset):
        return self._with_text(
            request,
            queryset,
            action=("solve_problems", _("标记已解决")),
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
            action=("reopen_problems", _("重新打开")),
            label=_("重新打开原因"),
            intro=_("将重新打开以下已解决的问题，请说明原因："),
            service=problems.problem_reopen,
            key="reason",
        )
