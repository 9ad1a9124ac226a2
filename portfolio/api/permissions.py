"""Permission classes of the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from .access import access_of


class PortfolioPermission(permissions.BasePermission):
    """Authenticated callers read; only write credentials (or people) write.

    What a person may change is decided by the services (role and scope), the
    same rules as in the admin.
    """

    message = _("该凭据为只读（read），只能读取数据，不能修改或执行审核操作。")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return access_of(request).may_write
