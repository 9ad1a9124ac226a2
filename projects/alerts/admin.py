"""Admin of notices, digests and department robots (issue 5)."""

from __future__ import annotations

from django.contrib import admin, messages

# --- Notices, digests and department robots (issue 5) -------------------------
from django.db import models, transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.selectors import is_administrator, is_supervisor, user_scope
from projects.alerts.choices import DigestStatus
from projects.alerts.delivery import notice_mark_read
from projects.alerts.models import DepartmentWebhook, Digest, Notice, WebhookNotice


class NoticeReadFilter(admin.SimpleListFilter):
    title = _("是否已读")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("yes", _("已读")), ("no", _("未读"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


class NoticeResolvedFilter(admin.SimpleListFilter):
    title = _("是否已解除")
    parameter_name = "resolved"

    def lookups(self, request, model_admin):
        return [("no", _("未解除")), ("yes", _("已解除"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(resolved_at__isnull=self.value() == "no")
        return queryset


class NoticeMineFilter(admin.SimpleListFilter):
    title = _("接收人")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("只看我的"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(recipient=request.user)
        return queryset


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Everyone sees their own notices; supervisors also those in their scope."""

    list_display = [
        "kind",
        "level",
        "item_link",
        "period",
        "recipient",
        "opened_on",
        "read_flag",
        "delivered_at",
        "resolved_at",
    ]
    list_filter = [
        NoticeMineFilter,
        NoticeResolvedFilter,
        NoticeReadFilter,
        "kind",
        "level",
        "opened_on",
        "project__district",
        "project__sector",
    ]
    search_fields = ["project__name", "project__code", "recipient__username"]
    list_select_related = ["project", "year_record", "recipient"]
    readonly_fields = [
        "kind",
        "level",
        "item_link",
        "project",
        "year_record",
        "period",
        "recipient",
        "opened_on",
        "created_at",
        "read_at",
        "resolved_at",
        "digest",
        "delivered_at",
    ]
    fields = readonly_fields
    actions = ["mark_read"]
    date_hierarchy = "opened_on"
    list_per_page = 100

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        user = request.user
        if is_administrator(user):
            return queryset
        mine = queryset.filter(recipient=user)
        if is_supervisor(user):
            return queryset.filter(user_scope(user).project_q("project__")) | mine
        return mine

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("事项"))
    def item_link(self, obj):
        if obj.year_record_id:
            url = reverse("admin:projects_yearrecord_change", args=[obj.year_record_id])
            label = gettext("%(project)s %(year)s年") % {
                "project": obj.project,
                "year": obj.year_record.year,
            }
        else:
            url = reverse("admin:projects_project_change", args=[obj.project_id])
            label = str(obj.project)
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("已读"), boolean=True)
    def read_flag(self, obj):
        return obj.read

    @admin.action(description=_("将所选的本人通知标记为已读"))
    def mark_read(self, request, queryset):
        done = 0
        for notice in queryset.filter(recipient=request.user, read_at__isnull=True):
            notice_mark_read(notice=notice, actor=request.user)
            done += 1
        skipped = queryset.exclude(recipient=request.user).count()
        self.message_user(
            request,
            gettext("已标记 %(count)s 条通知为已读。") % {"count": done},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                gettext("%(count)s 条不是发给您的通知，未作修改。")
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    """The delivery log: each e-mail and robot message, sent or still pending."""

    list_display = [
        "created_at",
        "channel",
        "recipient",
        "webhook",
        "item_count",
        "status",
        "attempts",
        "sent_at",
        "last_error_short",
    ]
    list_filter = ["status", "channel", "created_at"]
    search_fields = ["recipient__username", "address"]
    list_select_related = ["recipient", "webhook", "webhook__department"]
    readonly_fields = [
        "channel",
        "recipient",
        "webhook",
        "address",
        "status",
        "item_count",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    fields = readonly_fields
    actions = ["deliver_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("最近一次失败原因"))
    def last_error_short(self, obj):
        return (obj.last_error or "")[:80]

    @admin.action(description=_("立即重新投递所选的待发送消息"))
    def deliver_again(self, request, queryset):
        from projects.alerts.tasks import digest_deliver_task

        ids = list(
            queryset.filter(status=DigestStatus.PENDING).values_list("pk", flat=True)
        )
        for digest_id in ids:
            transaction.on_commit(
                lambda digest_id=digest_id: digest_deliver_task.delay(digest_id)
            )
        self.message_user(
            request, gettext("已安排重新投递 %(count)s 条消息。") % {"count": len(ids)}
        )


@admin.register(DepartmentWebhook)
class DepartmentWebhookAdmin(admin.ModelAdmin):
    """Administrators configure each department's WeCom/DingTalk group robot."""

    list_display = ["department", "name", "kind", "is_active", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ["kind", "is_active", "department"]
    search_fields = ["name", "department__name"]
    fields = ["department", "name", "kind", "url", "secret", "is_active"]


@admin.register(WebhookNotice)
class WebhookNoticeAdmin(admin.ModelAdmin):
    list_display = ["webhook", "notice", "digest", "delivered_at"]
    list_filter = ["webhook"]
    list_select_related = ["webhook", "webhook__department", "notice__project"]
    readonly_fields = ["webhook", "notice", "digest", "delivered_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
