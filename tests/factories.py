"""factory-boy factories: users by role, projects and year records."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from portfolio.choices import Role
from portfolio.models import Department, District, Plan, Sector
from portfolio.services import profile_set_departments, role_group_ensure
from projects.models import PlanTable, Project, YearRecord


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    is_staff = True
    password = factory.django.Password("pw-for-tests-123")

    @classmethod
    def with_role(cls, role: Role, departments=(), everything=False, **kwargs):
        user = cls(**kwargs)
        user.groups.add(role_group_ensure(role=role))
        profile_set_departments(
            user=user,
            departments=list(Department.objects.filter(code__in=departments)),
            all_departments=everything,
            actor="tests",
        )
        return get_user_model().objects.get(pk=user.pk)

    @classmethod
    def clerk(cls, departments, **kwargs):
        return cls.with_role(Role.CLERK, departments, **kwargs)

    @classmethod
    def supervisor(cls, departments=(), **kwargs):
        return cls.with_role(
            Role.SUPERVISOR, departments, everything=not departments, **kwargs
        )

    @classmethod
    def administrator(cls, **kwargs):
        return cls.with_role(Role.ADMINISTRATOR, is_superuser=True, **kwargs)


class ProjectFactory(factory.django.DjangoModelFactory):
    """A synthetic project in table 3 with a number past the plan's rows."""

    class Meta:
        model = Project

    plan = factory.LazyFunction(lambda: Plan.objects.get(is_current=True))
    table = factory.LazyAttribute(
        lambda o: PlanTable.objects.get(plan=o.plan, number=3)
    )
    number = factory.Sequence(lambda n: 1000 + n)
    code = factory.LazyAttribute(
        lambda o: f"t{o.table.number if o.table else 'r'}-x{o.number}"
    )
    name = factory.Sequence(lambda n: f"测试项目{n}")
    district = factory.LazyFunction(lambda: District.objects.get(code="bazhou"))
    sector = factory.LazyFunction(lambda: Sector.objects.get(code="commerce-logistics"))
    department = factory.LazyFunction(lambda: Department.objects.get(code="bazhou-gov"))
    period = "2022-2024"
    start_year = 2022
    end_year = 2024
    content = "测试用建设内容"


class YearRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = YearRecord

    project = factory.SubFactory(ProjectFactory)
    year = 2024
    due_date = factory.LazyAttribute(lambda o: dt.date(o.year, 12, 20))


# -- named actors: every edit and review is made by someone, never by a process ----
def clerk_for(project: Project, username: str | None = None):
    """A clerk of ``project``'s responsible department (its district or bureau)."""
    department = project.department
    return UserFactory.clerk(
        [department.code], username=username or f"t-clerk-{department.code}"
    )


def reviewer(username: str = "t-reviewer"):
    """An all-city supervisor: approves, returns and reopens anywhere."""
    return UserFactory.supervisor(username=username)


def admin_actor(username: str = "t-admin"):
    """An administrator (deletes, moves projects, corrects the plan)."""
    return UserFactory.administrator(username=username)
