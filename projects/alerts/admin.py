"""Admin of notices, digests and department robots (issue 5)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages

# --- Notices, digests and department robots (issue 5) -------------------------
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.selectors import is_administrator, is_supervisor, user_scope
from projects.alerts.choices import DigestStatus, NoticeKind, WebhookEventType
from projects.alerts.delivery import notice_mark_read
from projects.alerts.models import (
    DepartmentWebhook,
    Digest,
    Notice,
    ScanRun,
    WebhookAttempt,
    WebhookDelivery,
    WebhookNotice,
    WebhookSubscription,
)
from projects.alerts.webhooks import (
    webhook_body,
    webhook_delivery_redeliver,
    webhook_subscription_save,
)


def scan_note() -> dict:
    """Whether and when the deadline scan has run, and when it runs, in words."""
    last = ScanRun.objects.order_by("-finished_at", "-id").first()
    when = settings.PORTFOLIO_SCAN_TIME
    if last is None:
        text = _(
            "每日扫描尚未运行：提醒与逾期通知由每日 %(time)s 的扫描生成，"
            "首次扫描后才会出现在这里。首页仪表盘上的逾期事项是实时计算的，"
            "所以此前仪表盘已有逾期、这里仍可能为空。管理员可立即运行 {}。"
        ) % {"time": when}
        command = format_html("<code>{}</code>", "python manage.py scan_deadlines")
        return {"ran": False, "text": format_html(text, command)}
    return {
        "ran": True,
        "text": _(
            "最近一次扫描：%(finished)s（按 %(day)s 计算，%(actor)s），"
            "新增通知 %(created)s 条；每日 %(time)s 扫描一次。"
        )
        % {
            "finished": timezone.localtime(last.finished_at).strftime("%Y-%m-%d %H:%M"),
            "day": f"{last.day:%Y-%m-%d}",
            "actor": last.actor_label,
            "created": last.notices_created,
            "time": when,
        },
    }


def period_words(notice: Notice) -> str:
    """A notice's period as people read it, not as the rules key it."""
    period = notice.period
    if notice.kind == NoticeKind.REMINDER and period.startswith("D-"):
        return _("截止前 %(days)s 天") % {"days": period[2:]}
    if notice.kind == NoticeKind.ESCALATION and "/" in period:
        kind, rest = period.split("/", 1)
        if kind in NoticeKind.values:
            return f"{NoticeKind(kind).label} {rest}"
    return period


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
        "period_display",
        "recipient_name",
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
    search_fields = [
        "project__name",
        "project__code",
        "recipient__username",
        "recipient__first_name",
    ]
    list_select_related = ["project", "project__table", "year_record", "recipient"]
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

    def changelist_view(self, request, extra_context=None):
        """The list says when the daily scan last ran: notices appear only once
        it has, while the dashboard counts overdue items live."""
        context = {"scan_note": scan_note(), **(extra_context or {})}
        return super().changelist_view(request, context)

    @admin.display(description=_("规则周期"), ordering="period")
    def period_display(self, obj):
        """The period in words: 截止前 7 天, or the escalated kind's name."""
        return period_words(obj)

    @admin.display(description=_("接收人"), ordering="recipient__first_name")
    def recipient_name(self, obj):
        person = obj.recipient
        return person.get_full_name() or person.get_username()

    @admin.display(description=_("事项"))
    def item_link(self, obj):
        if obj.year_record_id:
            url = reverse("admin:projects_yearrecord_change", args=[obj.year_record_id])
            label = gettext("%(project)s %(year)s年") % {
                "project": obj.project,
                "year": obj.year_record.year,
            }
        elif obj.project_id:
            url = reverse("admin:projects_project_change", args=[obj.project_id])
            label = str(obj.project)
        else:  # an indicator (考核指标)
            url = reverse("admin:indicators_indicator_change", args=[obj.object_id])
            label = gettext("【指标】%(name)s %(year)s年") % {
                "name": obj.item,
                "year": obj.period,
            }
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


# --- Outbound webhooks: subscriptions and their delivery log (issue 15) ---------


class AdministratorsOnly:
    """Where the portfolio's data is pushed to is for administrators to decide."""

    def has_module_permission(self, request):
        return is_administrator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_add_permission(self, request):
        return is_administrator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_administrator(request.user)


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("接收地址"),
        max_length=500,
        assume_scheme="https",
        help_text=_("外部系统接收事件的完整地址（POST JSON）。"),
    )
    events = forms.MultipleChoiceField(
        label=_("订阅事件"),
        choices=WebhookEventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "name",
            "url",
            "secret",
            "events",
            "is_active",
            "plans",
            "departments",
            "districts",
            "sectors",
            "give_up_hours",
        ]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AdministratorsOnly, admin.ModelAdmin):
    """An external system's URL, the events it hears of and the scope."""

    form = WebhookSubscriptionForm
    list_display = ["name", "url", "event_list", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    filter_horizontal = ["plans", "departments", "districts", "sectors"]
    fieldsets = [
        (None, {"fields": ["name", "url", "secret", "events", "is_active"]}),
        (
            _("范围（留空为不限；多项之间为“且”）"),
            {"fields": ["plans", "departments", "districts", "sectors"]},
        ),
        (_("失败重试"), {"fields": ["give_up_hours"]}),
    ]

    @admin.display(description=_("订阅事件"))
    def event_list(self, obj):
        labels = dict(WebhookEventType.choices)
        return str(_("、")).join(str(labels.get(e, e)) for e in obj.events or [])

    def save_model(self, request, obj, form, change):
        webhook_subscription_save(subscription=obj, actor=request.user)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "status_code", "duration_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AdministratorsOnly, admin.ModelAdmin):
    """The delivery log: each event sent (or being sent) to each subscription."""

    list_display = [
        "created_at",
        "subscription",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "last_error_short",
    ]
    list_filter = ["status", "subscription", "event__type", "last_status_code"]
    search_fields = ["event__event_id"]
    list_select_related = ["subscription", "event"]
    readonly_fields = [
        "subscription",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "last_attempt_at",
        "next_attempt_at",
        "give_up_at",
        "sent_at",
        "last_error",
        "created_at",
        "body",
    ]
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("事件类型"), ordering="event__type")
    def event_type(self, obj):
        return obj.event.get_type_display()

    @admin.display(description=_("事件ID"))
    def event_id(self, obj):
        return obj.event.event_id

    @admin.display(description=_("最近一次失败原因"))
    def last_error_short(self, obj):
        return (obj.last_error or "")[:80]

    @admin.display(description=_("推送内容"))
    def body(self, obj):
        return format_html("<pre>{}</pre>", webhook_body(obj.event).decode())

    @admin.action(description=_("重新推送所选记录"))
    def redeliver(self, request, queryset):
        from projects.alerts.tasks import webhook_deliver_task

        count = 0
        for delivery in queryset.select_related("subscription"):
            webhook_delivery_redeliver(delivery=delivery, actor=request.user)
            transaction.on_commit(
                lambda pk=delivery.pk: webhook_deliver_task.delay(pk), robust=True
            )
            count += 1
        self.message_user(
            request, _("已安排重新推送 %(count)d 条记录。") % {"count": count}
        )
