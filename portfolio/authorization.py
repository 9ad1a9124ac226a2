"""The one authorization rule for every write, whoever the actor is.

An actor is one of three things:

- a person (a Django user), in the admin or through the API;
- an API client (``ApiClient``), the external system behind a token: a principal
  with a role (``ApiClient.role``: a clerk's by default; a supervisor's or an
  administrator's only when an administrator gives it explicitly) and a scope
  (its departments, or the whole portfolio);
- a named system process (a string: "定时任务 scan_deadlines", "命令 load_plan").

Every service asks ``authorize`` before it writes. People and tokens meet the
same rules: the object must be within their scope, and they must hold the role
the act needs (submit and edit: a clerk's act; approve, return, reopen and
moving a project: a supervisor's; deleting: an administrator's; an
administrator may do all). A system process is let through only by the
services that are system jobs (opening a year, scans, loading the plan), which
say so with ``system_job=True``; a review transition or an edit never comes from
a nameless process.

Separation of duties (``check_not_own_submission``): whoever submitted a report
(the last submit entry of its audit trail) may not approve or return it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import ApiScope, AuditAction, Role
from .models import ApiClient, AuditEntry
from .selectors import Scope, api_client_scope, user_roles, user_scope

ROLE_REFUSALS = {
    Role.CLERK: _("只有本单位填报员可以填报和提交。"),
    Role.SUPERVISOR: _("只有督查员可以审核、退回或重新打开。"),
    Role.ADMINISTRATOR: _("只有管理员可以执行此操作。"),
}


@dataclass(frozen=True)
class Principal:
    """Who acts, as the rules see it: roles, scope, and the person or the client."""

    label: str
    roles: frozenset[Role]
    scope: Scope
    user: Any = None
    client: ApiClient | None = None

    @property
    def may_write(self) -> bool:
        """A read-only token never writes; people are judged by role and scope."""
        return self.client is None or self.client.scope == ApiScope.WRITE

    def holds(self, role: Role) -> bool:
        """An administrator holds every role; otherwise the role itself."""
        return Role.ADMINISTRATOR in self.roles or role in self.roles

    def wrote(self, entry: AuditEntry) -> bool:
        """Whether ``entry`` of the audit trail was written by this principal."""
        if self.user is not None and entry.actor_id is not None:
            return entry.actor_id == self.user.pk
        if self.client is not None and entry.api_client_id is not None:
            return entry.api_client_id == self.client.pk
        if entry.actor_id is None and entry.api_client_id is None:
            # Rows from before tokens were principals name them by label only.
            return entry.actor_label == self.label
        return False


def actor_label(actor: Any) -> str:
    """How ``actor`` is named in the history."""
    if actor is None:
        return gettext("系统")
    if isinstance(actor, str):
        return actor
    if isinstance(actor, ApiClient):
        return actor.actor_label
    full_name = getattr(actor, "get_full_name", lambda: "")()
    username = actor.get_username()
    if not full_name:
        return username
    return gettext("%(name)s（%(username)s）") % {
        "name": full_name,
        "username": username,
    }


def is_system(actor: Any) -> bool:
    """A named system process (or none at all), not a person nor a token."""
    return actor is None or isinstance(actor, str)


def person_of(actor: Any) -> AbstractBaseUser | None:
    """The person behind ``actor`` (for "submitted by" fields), or None."""
    return actor if isinstance(actor, AbstractBaseUser) else None


def principal_of(actor: Any) -> Principal | None:
    """The principal of a person or a token; None for a system process."""
    if is_system(actor):
        return None
    if isinstance(actor, ApiClient):
        return Principal(
            label=actor.actor_label,
            roles=frozenset({Role(actor.role)}),
            scope=api_client_scope(actor),
            client=actor,
        )
    return Principal(
        label=actor_label(actor),
        roles=frozenset(user_roles(actor)),
        scope=user_scope(actor),
        user=actor,
    )


def authorize(
    *,
    actor: Any,
    role: Role | None,
    project: Any = None,
    department_ids: tuple[int | None, ...] = (),
    system_job: bool = False,
    scope_refusal: str | None = None,
    role_refusal: str | None = None,
) -> Principal | None:
    """Let ``actor`` do an act of ``role`` on ``project`` / for ``department_ids``.

    Raises ``PermissionDenied`` unless: the actor is a person or a token
    (a system process only where ``system_job`` says the service is one, and
    then None is returned); a token has write credentials; the project (seen
    by district or sector) and each department are within the actor's scope;
    and the actor holds ``role`` (an administrator holds all; None: any role,
    for a request that changes nothing). Returns the
    principal, for further checks (a move's two places, separation of duties).
    """
    if is_system(actor):
        if system_job:
            return None
        raise PermissionDenied(
            _("该操作须由具名的用户或 API 凭据执行，系统进程不能代为执行。")
        )
    principal = principal_of(actor)
    if not principal.may_write:
        raise PermissionDenied(
            _("该凭据为只读（read），只能读取数据，不能修改或执行审核操作。")
        )
    if project is not None and not principal.scope.covers_project(project):
        raise PermissionDenied(scope_refusal or _("该项目不在您的负责范围内。"))
    for department_id in department_ids:
        if not principal.scope.covers_department(department_id):
            raise PermissionDenied(scope_refusal or _("该单位不在您的负责范围内。"))
    if role is not None and not principal.holds(role):
        raise PermissionDenied(role_refusal or ROLE_REFUSALS[role])
    return principal


def last_submission(instance) -> AuditEntry | None:
    """The audit trail's last submit entry of ``instance`` (a reviewed record)."""
    return (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(instance)),
            object_id=str(instance.pk),
            action=AuditAction.SUBMIT,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def check_not_own_submission(principal: Principal | None, instance) -> None:
    """Separation of duties: the submitter of ``instance`` does not review it."""
    if principal is None:
        return
    submitted = last_submission(instance)
    if submitted is not None and principal.wrote(submitted):
        raise PermissionDenied(
            _("不能审核或退回自己提交的%(kind)s：提交和审核须由不同的人员或凭据完成。")
            % {"kind": instance._meta.verbose_name}
        )
