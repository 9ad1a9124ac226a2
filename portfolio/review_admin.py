"""The review on a reviewed record's own admin page: buttons, by role.

A year record (or any ``ReviewedModel``) shows on its page the review actions
that its state allows and that the user's role may take: 提交 for the clerks of
its department, 审核通过 / 退回 (with a reason) / 重新打开 for supervisors. Each
button posts to the record's ``review/<action>/`` page, which calls the same
service as the list's actions and the API (``portfolio.review`` underneath), and
comes back to the record with the outcome, a refusal styled as an error.

A record the user cannot change in its state (submitted, approved; every record
for a supervisor) is shown read-only: no input, no 保存 button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import ReviewAction, ReviewState
from .exceptions import StaleWrite, TransitionNotAllowed
from .review import (
    allowed_review_actions,
    is_editable,
    not_editable_error,
    review_transition,
)
from .selectors import is_administrator, is_clerk, is_supervisor

REVIEW_REFUSALS = (TransitionNotAllowed, ValidationError, PermissionDenied, StaleWrite)


def refusal_text(exc: Exception) -> str:
    """A service's refusal as one line of Chinese."""
    if isinstance(exc, StaleWrite):
        return _("记录已被他人修改，请刷新页面后重试。")
    message = getattr(exc, "message", None)
    if isinstance(message, str) and not getattr(exc, "params", None):
        return message
    return _("；").join(getattr(exc, "messages", None) or [str(exc)])


def refusals_message(header: str, lines: list[str]) -> str:
    """An error message listing refusals, one per line (no nested list items:
    the admin styles every ``li`` of its message list as a green success)."""
    return format_html(
        '{}<div class="refusals">{}</div>',
        header,
        format_html_join("", '<div class="refusal">{}</div>', ((li,) for li in lines)),
    )


def may_take_role(user, role: str) -> bool:
    """Whether ``user`` acts in ``role`` ("clerk" or "supervisor") of the table."""
    if is_administrator(user):
        return True
    if role == "clerk":
        return is_clerk(user)
    return is_supervisor(user)


def may_edit(user, obj) -> bool:
    """Clerks (and administrators) change a record's figures while it is editable."""
    return is_editable(obj) and (is_clerk(user) or is_administrator(user))


@dataclass(frozen=True)
class ReviewButton:
    action: str
    label: str
    url: str
    reason_required: bool
    reason_label: str


REASON_LABELS = {
    ReviewAction.RETURN: gettext_lazy("退回原因（填报员会看到）"),
    ReviewAction.REOPEN: gettext_lazy("重新打开的原因"),
}
DONE_MESSAGES = {
    ReviewAction.SUBMIT: gettext_lazy("已提交“%(obj)s”，等待督查员审核。"),
    ReviewAction.APPROVE: gettext_lazy("已审核通过“%(obj)s”。"),
    ReviewAction.RETURN: gettext_lazy("已退回“%(obj)s”，填报员会看到退回原因。"),
    ReviewAction.REOPEN: gettext_lazy(
        "已重新打开“%(obj)s”，填报员可以修改后重新提交。"
    ),
}


class ReviewButtonsMixin:
    """The review buttons on the record's page and the page they post to.

    The admin names its services by action (``review_services``) and the keyword
    the services take the record by (``review_argument``, as for the list's
    actions).
    """

    review_argument: str
    review_services: dict[ReviewAction, Callable[..., object]] = {}
    change_form_template = "admin/portfolio/review_change_form.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/review/<str:action>/",
                self.admin_site.admin_view(self.review_view),
                name=f"{info[0]}_{info[1]}_review",
            ),
            *super().get_urls(),
        ]

    def _admin_url_name(self, view: str) -> str:
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"

    def has_change_permission(self, request, obj=None):
        """A record the user cannot change in its state is shown read-only."""
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return may_edit(request.user, obj)

    def review_buttons(self, request, obj) -> list[ReviewButton]:
        """The actions allowed from the record's state that the user's role takes."""
        buttons = []
        for action in allowed_review_actions(ReviewState(obj.state)):
            transition = review_transition(action, ReviewState(obj.state))
            if action not in self.review_services:
                continue
            if not may_take_role(request.user, transition.role):
                continue
            buttons.append(
                ReviewButton(
                    action=action.value,
                    label=str(action.label),
                    url=reverse(
                        self._admin_url_name("review"),
                        args=[obj.pk, action.value],
                    ),
                    reason_required=transition.reason_required,
                    reason_label=str(REASON_LABELS.get(action, _("原因"))),
                )
            )
        return buttons

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if obj is not None:
            editable = may_edit(request.user, obj)
            context.update(
                review_buttons=self.review_buttons(request, obj),
                review_state=ReviewState(obj.state).label,
                review_return_reason=obj.return_reason
                if obj.state == ReviewState.RETURNED
                else "",
                review_read_only_note=self.read_only_note(request, obj, editable),
                can_save_and_submit=editable
                and ReviewAction.SUBMIT in self.review_services
                and ReviewAction.SUBMIT in allowed_review_actions(obj.state)
                and may_take_role(request.user, "clerk"),
            )
        return super().change_view(request, object_id, form_url, context)

    def read_only_note(self, request, obj, editable: bool) -> str:
        """Why the page cannot be changed: the reader's role, or the state."""
        if editable:
            return ""
        if not may_take_role(request.user, "clerk"):
            return _("督查员只查看和审核填报内容；如需修改，请退回由填报员修改。")
        return not_editable_error(obj).message

    def review_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        self.review_apply(request, obj, action)
        return HttpResponseRedirect(
            reverse(
                self._admin_url_name("change"),
                args=[obj.pk],
            )
        )

    def review_apply(self, request, obj, action: str) -> bool:
        """Call the action's service; tell the user what happened. True if done."""
        try:
            review_action = ReviewAction(action)
            service = self.review_services[review_action]
        except (ValueError, KeyError):
            self.message_user(request, _("没有这个审核操作。"), messages.ERROR)
            return False
        kwargs = {self.review_argument: obj, "actor": request.user}
        version = request.POST.get("version", "")
        if version.isdigit():
            kwargs["expected_version"] = int(version)
        if review_action in (ReviewAction.RETURN, ReviewAction.REOPEN):
            kwargs["reason"] = request.POST.get("reason", "")
        try:
            service(**kwargs)
        except REVIEW_REFUSALS as exc:
            self.message_user(
                request,
                refusals_message(
                    _("未能%(action)s：") % {"action": review_action.label},
                    [refusal_text(exc)],
                ),
                messages.ERROR,
            )
            return False
        self.message_user(
            request, str(DONE_MESSAGES[review_action]) % {"obj": obj}, messages.SUCCESS
        )
        return True

    def response_change(self, request, obj):
        """After 保存: say 成功修改 only if something was stored; 保存并提交 goes
        on to the submit and back to the record."""
        stored = getattr(obj, "_service_stored", True)
        if "_save_and_submit" in request.POST:
            if not stored:
                self.message_user(request, _("没有需要保存的修改。"), messages.INFO)
            self.review_apply(request, obj, ReviewAction.SUBMIT)
            return HttpResponseRedirect(request.path)
        if not stored:
            self.message_user(
                request, _("没有修改任何内容，未保存。"), messages.WARNING
            )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)
