"""Admin of the plan's reference data, users' scopes and the audit trail."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .exceptions import TransitionNotAllowed
from .fields import SHORT_TEXT
from .history import change_lines, object_type_label
from .models import (
    ApiClient,
    AuditEntry,
    Cluster,
    Department,
    District,
    Plan,
    Profile,
    RoleGroup,
    Sector,
    Tombstone,
)
from .review_admin import refusals_message

admin.site.site_header = _("巴中市“十四五”服务业重大项目调度系统")
admin.site.site_title = _("项目调度系统")
admin.site.index_title = _("工作台")
# 查看站点 leads to the site's front page, which is the dashboard (config/urls).
admin.site.site_url = "/"
# No menu column beside every page: at an office screen's 1366 px it pushed the
# lists' right-hand columns behind a scroll bar. The home page carries the menu.
admin.site.enable_nav_sidebar = False


def history_table(obj) -> str:
    """The object's audit trail as an HTML table (newest first), for change pages.

    Fields by their labels, values by their display labels and names
    (``portfolio.history``), never the code's keys or primary keys.
    """
    if obj is None or obj.pk is None:
        return "—"
    entries = list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)),
            object_id=str(obj.pk),
        ).order_by("-created_at", "-id")[:200]
    )
    if not entries:
        return _("暂无记录")
    lines = change_lines(entries)
    rows = format_html_join(
        "",
        '<tr><td class="nowrap">{}</td><td>{}</td><td class="nowrap">{}</td>'
        "<td>{}</td><td>{}</td></tr>",
        (
            (
                timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
                entry.actor_label,
                entry.get_action_display(),
                format_html_join(
                    "",
                    '<div class="change">{}</div>',
                    ((line.text(),) for line in lines[entry.pk]),
                ),
                entry.reason,
            )
            for entry in entries
        ),
    )
    return format_html(
        '<table class="history"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
        "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
        _("时间"),
        _("操作人"),
        _("操作"),
        _("变更内容"),
        _("原因"),
        rows,
    )


class AuditHistoryMixin:
    """The admin's 「历史」 page shows the audit trail the services write.

    Django's own history reads its LogEntry table, which the services do not
    write: without this the page would always be empty.
    """

    def history_view(self, request, object_id, extra_context=None):
        from django.contrib.admin.utils import unquote
        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse

        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/audit_history.html",
            {
                **self.admin_site.each_context(request),
                "title": _("变更记录：%(object)s") % {"object": obj},
                "object": obj,
                "opts": self.opts,
                "history": history_table(obj),
                **(extra_context or {}),
            },
        )


def _boolean_icon(value) -> str:
    """The admin's yes/no icon, its ``alt`` in Chinese (Django writes True/False,
    which screen readers read out)."""
    icon = {True: "yes", False: "no", None: "unknown"}[value]
    text = {True: _("是"), False: _("否"), None: _("未知")}[value]
    return format_html(
        '<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text
    )


# Django's admin renders every boolean through this one function (lists and
# read-only fields); tests/bootstrap/test_no_english.py guards it.
admin_list._boolean_icon = _boolean_icon


class ServiceModelForm(forms.ModelForm):
    """A model form whose saving is a service call made in ``clean()``.

    It carries the version the page was opened with (``version_seen``) so the
    service can refuse a stale save, and leaves model validation to the service,
    which runs ``full_clean()`` on the locked row.
    """

    version_seen = forms.IntegerField(
        label=_("版本"), widget=forms.HiddenInput, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and hasattr(self.instance, "version"):
            self.fields["version_seen"].initial = self.instance.version

    def _post_clean(self):
        pass


def add_service_errors(form: forms.Form, exc: Exception) -> None:
    """Put a service's refusal on the form, in Chinese, field by field."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    else:
        form.add_error(None, getattr(exc, "message", None) or str(exc))


class ReviewReasonForm(forms.Form):
    """The reason a reviewer gives to return or reopen; the submitter reads it."""

    reason = forms.CharField(
        label=_("原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=True,
        max_length=SHORT_TEXT,
    )

    def __init__(self, *args, reason_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_label is not None:
            self.fields["reason"].label = reason_label


class ReviewActionsMixin:
    """Bulk review actions (submit, approve, return, reopen) that go through a service.

    Each selected object is handed to the service on its own; refusals are listed
    with the workflow's own message, in Chinese, and the others go through. An
    action that needs a reason first shows ``admin/portfolio/review_reason.html``.
    """

    # The service's keyword for the object ("record", "value"): each admin names it.
    review_argument: str
    review_noun = _("记录")  # what the messages count, e.g. "年度记录"
    review_related: str | None = None  # fetched with the selection, for its names

    def review_selection(self, queryset):
        """The selected objects, with what their names are printed from."""
        if self.review_related:
            return queryset.select_related(self.review_related)
        return queryset

    def review_each(self, request, queryset, service, verb, **kwargs):
        """Apply the service to each selected object; report what went through."""
        done, refused = 0, []
        for obj in self.review_selection(queryset):
            try:
                service(**{self.review_argument: obj}, actor=request.user, **kwargs)
                done += 1
            except TransitionNotAllowed as exc:
                refused.append(
                    gettext("%(object)s：%(message)s")
                    % {"object": obj, "message": exc.message}
                )
            except (ValidationError, PermissionDenied) as exc:
                text = gettext("；").join(getattr(exc, "messages", [str(exc)]))
                refused.append(
                    gettext("%(object)s：%(message)s")
                    % {"object": obj, "message": text}
                )
        if done:
            self.message_user(
                request,
                gettext("已%(verb)s %(count)s 条%(noun)s。")
                % {"verb": verb, "count": done, "noun": self.review_noun},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                refusals_message(
                    _("%(count)s 条未能%(verb)s：")
                    % {"count": len(refused), "verb": verb},
                    refused,
                ),
                messages.ERROR,
            )

    def review_with_reason(
        self,
        request,
        queryset,
        service,
        verb,
        *,
        action,
        title,
        intro,
        reason_label=None,
    ):
        """Ask for the reason (a page listing the selection), then apply the service.

        Returns the page while the reason is missing or invalid, and ``None`` (back
        to the list) once the service has been applied.
        """
        if "apply" in request.POST:
            form = ReviewReasonForm(request.POST, reason_label=reason_label)
            if form.is_valid():
                self.review_each(
                    request, queryset, service, verb, reason=form.cleaned_data["reason"]
                )
                return None
        else:
            form = ReviewReasonForm(reason_label=reason_label)
        return TemplateResponse(
            request,
            "admin/portfolio/review_reason.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "intro": intro,
                "verb": verb,
                "items": self.review_selection(queryset),
                "form": form,
                "action": action,
                "opts": self.model._meta,
            },
        )


# Actions the apps above add to the plan page (carry-over, make current): this
# app cannot import them, they append themselves (``projects.bootstrap.admin``).
PLAN_ACTIONS: list = []


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "start_year",
        "end_year",
        "issuer",
        "issued_on",
        "is_current",
    ]
    search_fields = ["name"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        for action in PLAN_ACTIONS:
            name = action.__name__
            actions[name] = (action, name, action.short_description)
        return actions


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "order"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "tier", "stars", "positioning", "plan"]
    list_filter = ["tier", "plan"]
    search_fields = ["name", "code"]

    @admin.display(description=_("发展时序"))
    def stars(self, obj):
        return obj.stars


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "name",
        "belt",
        "district_names",
        "planned_output",
        "level",
    ]
    list_filter = ["level", "belt", "districts", "plan"]
    search_fields = ["name", "code", "planned_formats"]
    filter_horizontal = ["districts"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("districts")

    @admin.display(description=_("所在区域"))
    def district_names(self, obj):
        return gettext("、").join(d.name for d in obj.districts.all())


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "district", "sector_names", "email"]
    list_filter = ["kind", "district"]
    search_fields = ["name", "code"]
    filter_horizontal = ["sectors"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("district")
            .prefetch_related("sectors")
        )

    @admin.display(description=_("主管产业"))
    def sector_names(self, obj):
        return gettext("、").join(s.name for s in obj.sectors.all())


class AuditObjectTypeFilter(admin.SimpleListFilter):
    """The kinds of objects the trail is about, by their names (not app codes)."""

    title = _("对象类型")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        ids = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list("content_type", flat=True)
            .distinct()
        )
        kinds = []
        for content_type_id in ids:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            if model is not None:
                kinds.append((str(content_type_id), str(model._meta.verbose_name)))
        return sorted(kinds, key=lambda kind: kind[1])

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(content_type_id=int(self.value()))
        return queryset


class AuditChangeList(ChangeList):
    """Reads the labels and names of a page of history rows in a few queries."""

    def get_results(self, request):
        super().get_results(request)
        lines = change_lines(list(self.result_list))
        for entry in self.result_list:
            entry.change_lines = lines[entry.pk]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "actor_label",
        "action",
        "object_type",
        "object_repr",
        "changes_display",
        "reason",
    ]
    list_filter = ["action", AuditObjectTypeFilter]
    search_fields = ["object_repr", "actor_label", "reason"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "actor_label",
        "action",
        "object_type",
        "object_repr",
        "changes_display",
        "reason",
    ]
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        from .selectors import is_administrator, is_supervisor

        queryset = super().get_queryset(request).select_related("content_type")
        if is_administrator(request.user) or is_supervisor(request.user):
            return queryset
        return queryset.filter(actor=request.user)

    @admin.display(description=_("对象类型"))
    def object_type(self, obj):
        return object_type_label(obj)

    @admin.display(description=_("变更内容"))
    def changes_display(self, obj):
        lines = getattr(obj, "change_lines", None)
        if lines is None:
            lines = change_lines([obj])[obj.pk]
        return format_html_join(
            "", '<div class="change">{}</div>', ((line.text(),) for line in lines)
        )


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ["departments"]
    verbose_name_plural = _("负责范围")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ScopedUserAdmin(UserAdmin):
    inlines = [ProfileInline]


@admin.register(RoleGroup)
class RoleGroupAdmin(admin.ModelAdmin):
    """Which user group carries which role; the three roles are fixed."""

    list_display = ["role", "group"]
    readonly_fields = ["role"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "department_names", "all_departments"]
    list_filter = ["all_departments", "departments"]
    search_fields = ["user__username", "user__first_name"]
    filter_horizontal = ["departments"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .prefetch_related("departments")
        )

    @admin.display(description=_("所属/分管单位"))
    def department_names(self, obj):
        return gettext("、").join(d.name for d in obj.departments.all())


# --- API credentials (issue 4) -------------------------------------------------


class ApiClientAddForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = [
            "name",
            "scope",
            "role",
            "may_manage_projects",
            "departments",
            "expires_at",
        ]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Issue (token shown once) and revoke credentials of external systems."""

    list_display = [
        "name",
        "token_prefix",
        "scope",
        "role",
        "department_names",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "created_at",
    ]
    list_filter = ["scope", "role"]
    search_fields = ["name", "token_prefix"]
    filter_horizontal = ["departments"]
    actions = ["revoke"]
    readonly_fields = [
        "name",
        "token_prefix",
        "scope",
        "role",
        "may_manage_projects",
        "departments",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("departments")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiClientAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ApiClientAddForm.Meta.fields
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # Revoke instead: the history keeps who used which credentials.
        return False

    def save_model(self, request, obj, form, change):
        from .credentials import api_client_create

        if change:
            return
        client, token = api_client_create(
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            role=form.cleaned_data["role"],
            departments=list(form.cleaned_data["departments"]),
            expires_at=form.cleaned_data["expires_at"],
            may_manage_projects=form.cleaned_data.get("may_manage_projects", False),
            actor=request.user,
        )
        form.instance = client
        obj.pk = client.pk
        # Shown once, in the answer to this very request (response_add): never
        # stored, neither in the messages cookie nor in the session.
        request.issued_token = token

    def response_add(self, request, obj, post_url_continue=None):
        """The page that shows a new token, once, instead of a redirect."""
        token = getattr(request, "issued_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        # admin_view() marks it never_cache: no browser or proxy keeps the page.
        return TemplateResponse(
            request,
            "admin/portfolio/apiclient/token_issued.html",
            {
                **self.admin_site.each_context(request),
                "title": _("令牌已签发"),
                "opts": self.model._meta,
                "client": ApiClient.objects.get(pk=obj.pk),
                "token": token,
            },
        )

    def save_related(self, request, form, formsets, change):
        """Departments are set by ``api_client_create``."""

    @admin.display(description=_("限定单位"))
    def department_names(self, obj):
        return gettext("、").join(d.name for d in obj.departments.all()) or _("全市")

    @admin.action(description=_("吊销所选凭据"))
    def revoke(self, request, queryset):
        from .credentials import api_client_revoke

        for client in queryset:
            api_client_revoke(client=client, actor=request.user)
        self.message_user(
            request, gettext("已吊销 %(count)s 个凭据。") % {"count": queryset.count()}
        )


@admin.register(Tombstone)
class TombstoneAdmin(admin.ModelAdmin):
    """Deleted objects as external systems see them in /api/v1/deletions/."""

    list_display = ["deleted_at", "model", "object_code", "object_id"]
    list_filter = ["model"]
    search_fields = ["object_code", "object_id"]
    date_hierarchy = "deleted_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
