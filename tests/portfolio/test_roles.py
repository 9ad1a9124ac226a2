"""Roles are keyed by their code, never by the group's (translated) name."""

from __future__ import annotations

import pytest

from portfolio.choices import Role
from portfolio.models import RoleGroup
from portfolio.selectors import is_clerk, is_supervisor, user_roles
from portfolio.services import role_group_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_renaming_a_role_group_keeps_its_members_roles(plan):
    clerk = UserFactory.with_role(Role.CLERK, departments=["bazhou-gov"])
    group = role_group_ensure(role=Role.CLERK)
    group.name = "项目填报人员"  # an administrator renames the group in the admin
    group.save()
    clerk = type(clerk).objects.get(pk=clerk.pk)  # roles are cached per object
    assert user_roles(clerk) == {Role.CLERK}
    assert is_clerk(clerk) and not is_supervisor(clerk)


def test_a_group_named_like_a_role_but_not_linked_gives_no_role(plan):
    user = UserFactory()
    impostor = type(role_group_ensure(role=Role.SUPERVISOR))(name="督查员（旧）")
    impostor.save()
    user.groups.add(impostor)
    assert user_roles(user) == set()


def test_every_role_has_exactly_one_group(plan):
    assert {link.role for link in RoleGroup.objects.all()} == set(Role.values)
    assert role_group_ensure(role=Role.CLERK) == role_group_ensure(role=Role.CLERK)
