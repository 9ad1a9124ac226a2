"""Reads of the portfolio app: roles and departmental scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .choices import Role
from .models import Department, Plan


def plan_current() -> Plan | None:
    """The current plan: the one marked ``is_current`` (the latest of them if
    several are), else the plan with the latest start year.

    Loading another plan's workbook does not make it current: an administrator
    ticks 当前规划 on the plan's admin page when the office moves to it.
    """
    plans = Plan.objects.order_by("-is_current", "-start_year", "-pk")
    return plans.first()


# The older name, kept for its callers.
current_plan = plan_current


def user_roles(user) -> set[Role]:
    """The roles of ``user``, by code, from its groups; a superuser is an admin."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_portfolio_roles", None)
    if cached is not None:
        return cached
    roles = {
        Role(code)
        for code in user.groups.filter(portfolio_role__isnull=False).values_list(
            "portfolio_role__role", flat=True
        )
    }
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    user._portfolio_roles = roles
    return roles


def is_administrator(user) -> bool:
    return Role.ADMINISTRATOR in user_roles(user)


def is_supervisor(user) -> bool:
    roles = user_roles(user)
    return Role.SUPERVISOR in roles or Role.ADMINISTRATOR in roles


def is_clerk(user) -> bool:
    return Role.CLERK in user_roles(user)


@dataclass(frozen=True)
class Scope:
    """What part of the portfolio someone may see: everything, or some departments.

    A district government's department covers its district; a municipal bureau
    covers its sectors.
    """

    everything: bool
    district_ids: frozenset[int] = frozenset()
    sector_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()

    def project_q(self, prefix: str = "") -> Q:
        if self.everything:
            return Q()
        if not self.district_ids and not self.sector_ids:
            return Q(pk__in=[])
        return Q(**{f"{prefix}district_id__in": self.district_ids}) | Q(
            **{f"{prefix}sector_id__in": self.sector_ids}
        )

    def covers_project(self, project) -> bool:
        """Whether the project is seen: by its district OR by its sector."""
        return (
            self.everything
            or project.district_id in self.district_ids
            or project.sector_id in self.sector_ids
        )

    def covers_department(self, department_id: int | None) -> bool:
        """Whether ``department_id`` is one of the scope's departments."""
        return self.everything or department_id in self.department_ids

    def covers_place(self, field: str, value_id: int | None) -> bool:
        """Whether the scope holds a project's ``district_id``, ``sector_id`` or
        ``department_id`` itself: moving a project needs both places covered,
        by the same dimension (a bureau's sector does not cover a district)."""
        if self.everything:
            return True
        ids = {
            "district_id": self.district_ids,
            "sector_id": self.sector_ids,
            "department_id": self.department_ids,
        }[field]
        return value_id in ids


def scope_of_departments(departments) -> Scope:
    department_ids = frozenset(d.pk for d in departments)
    district_ids = frozenset(d.district_id for d in departments if d.district_id)
    sector_ids = frozenset(
        Department.sectors.through.objects.filter(
            department_id__in=department_ids
        ).values_list("sector_id", flat=True)
    )
    return Scope(False, district_ids, sector_ids, department_ids)


def api_client_scope(client) -> Scope:
    """The part of the portfolio an API client reaches: all, or its departments'."""
    cached = getattr(client, "_portfolio_scope", None)
    if cached is not None:
        return cached
    departments = list(client.departments.all())
    scope = Scope(True) if not departments else scope_of_departments(departments)
    client._portfolio_scope = scope
    return scope


def user_scope(user) -> Scope:
    """The scope of a person: administrators and all-city supervisors see all."""
    cached = getattr(user, "_portfolio_scope", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        scope = Scope(False)
    elif is_administrator(user):
        scope = Scope(True)
    else:
        profile = getattr(user, "profile", None)
        if profile is None:
            scope = Scope(False)
        elif profile.all_departments and is_supervisor(user):
            scope = Scope(True)
        else:
            scope = scope_of_departments(list(profile.departments.all()))
    user._portfolio_scope = scope
    return scope
