"""Writes of the portfolio app, and the audit trail every service writes to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .authorization import actor_label, authorize
from .choices import AuditAction, Role
from .models import ApiClient, AuditEntry, Department, Profile, RoleGroup

# An actor is a person (a User), an external system's API client (a principal
# with its own role and scope, see ``portfolio.authorization``), or a named
# system process ("命令 load_plan", "定时任务 scan_deadlines") for changes nobody
# typed by hand.
Actor = AbstractBaseUser | ApiClient | str


def _plain(value: Any) -> Any:
    """JSON-safe form of a field value, readable in the history view."""
    if isinstance(value, Decimal):
        # 820.5 and 820.50 are the same amount: compare and show them alike.
        return format(value.normalize(), "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The current values of ``fields`` as plain JSON values."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value changed."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def audit_log(
    *,
    instance: models.Model,
    action: AuditAction,
    actor: Actor | None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Write one history row for ``instance``; call inside the change's transaction."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:300],
        action=action,
        actor=actor if isinstance(actor, AbstractBaseUser) else None,
        api_client=actor if isinstance(actor, ApiClient) else None,
        actor_label=actor_label(actor)[:150],
        changes=changes or {},
        reason=reason,
    )


@transaction.atomic
def profile_set_departments(
    *,
    user: AbstractBaseUser,
    departments: list[Department],
    all_departments: bool = False,
    actor: Actor | None = None,
) -> Profile:
    """Give ``user`` a departmental scope (replacing the previous one).

    An administrator's act (or a command's, such as ``create_demo_accounts``).
    """
    authorize(actor=actor, role=Role.ADMINISTRATOR, system_job=True)
    profile, _ = Profile.objects.get_or_create(user=user)
    before = {
        "departments": sorted(profile.departments.values_list("code", flat=True)),
        "all_departments": profile.all_departments,
    }
    profile.all_departments = all_departments
    profile.full_clean()
    profile.save()
    profile.departments.set(departments)
    after = {
        "departments": sorted(d.code for d in departments),
        "all_departments": all_departments,
    }
    changes = diff(before, after)
    if changes:
        audit_log(
            instance=profile, action=AuditAction.UPDATE, actor=actor, changes=changes
        )
    return profile


@transaction.atomic
def role_group_ensure(*, role: Role) -> Group:
    """The group that carries ``role``, created with its Chinese name if missing.

    Idempotent. An existing link wins, whatever the group is called now; a group
    of the role's name is adopted when no link exists yet.
    """
    link = RoleGroup.objects.select_related("group").filter(role=role).first()
    if link is not None:
        return link.group
    group, _ = Group.objects.get_or_create(name=str(role.label))
    link = RoleGroup(role=role, group=group)
    link.full_clean()
    link.save()
    return group
