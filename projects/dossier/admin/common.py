"""What the dossier's admin pages share: who may read and write, the scoped
lists, the read-only link inlines, the service refusals shown on forms.

Permissions of the dossier's models follow the roles (填报员/督查员/管理员) rather
than per-model permissions, so existing groups need no change.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from portfolio.admin import AuditHistoryMixin
from portfolio.exceptions import TransitionNotAllowed
from portfolio.selectors import is_administrator, is_clerk, user_scope
from projects import services
from projects.models import Project

SERVICE_ERRORS = (
    ValidationError,
    PermissionDenied,
    TransitionNotAllowed,
    services.StaleWrite,
)


def can_write_dossier(user) -> bool:
    """Clerks (and administrators) enter the dossier; supervisors read it."""
    return is_clerk(user) or is_administrator(user)


def can_read_dossier(user) -> bool:
    """Any active staff member reads the dossier (within their scope)."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


class ReadOnlyLinksInline(admin.TabularInline):
    """Related rows listed on a page, read-only, each linking to its own form."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return can_read_dossier(request.user)


class RoleAdminMixin(AuditHistoryMixin):
    """Scoped lists; clerks write, supervisors read (and run their actions)."""

    scope_prefix = "project__"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(user_scope(request.user).project_q(self.scope_prefix))

    def has_module_permission(self, request):
        return can_read_dossier(request.user)

    def has_view_permission(self, request, obj=None):
        return can_read_dossier(request.user)

    def has_add_permission(self, request):
        return can_write_dossier(request.user)

    def has_change_permission(self, request, obj=None):
        return can_write_dossier(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


def scoped_projects(user):
    """The projects the user may choose in a form, in the plan's order."""
    return Project.objects.filter(user_scope(user).project_q()).order_by(
        "table", "number"
    )
