"""``python manage.py create_demo_accounts``: one account per role, printed once."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.choices import Role
from portfolio.models import Department
from portfolio.services import profile_set_departments, role_group_ensure
from projects.bootstrap.plan_loader import roles_ensure

ACTOR = _("命令 create_demo_accounts")


def _password() -> str:
    return secrets.token_urlsafe(9)


class Command(BaseCommand):
    # A property: argparse needs a real str, translated when the help is shown.
    @property
    def help(self):
        return gettext(
            "创建演示账号：每个责任单位一名填报员、一名督查员、一名管理员（已存在则跳过）"
        )

    @transaction.atomic
    def handle(self, *args, **options):
        roles_ensure()
        User = get_user_model()
        groups = {role: role_group_ensure(role=role) for role in Role}
        wanted = [
            (
                f"clerk-{department.code}",
                gettext("%(department)s填报员") % {"department": department.name},
                Role.CLERK,
                [department],
                False,
            )
            for department in Department.objects.order_by("kind", "code")
        ]
        wanted.append(
            ("supervisor", gettext("市服务业督查员"), Role.SUPERVISOR, [], True)
        )
        wanted.append(("admin", gettext("系统管理员"), Role.ADMINISTRATOR, [], True))
        created = []
        for username, full_name, role, departments, everything in wanted:
            if User.objects.filter(username=username).exists():
                continue
            password = _password()
            user = User.objects.create_user(
                username=username,
                password=password,
                email=f"{username}@bazhong.local",
                first_name=full_name,
                is_staff=True,
                is_superuser=role == Role.ADMINISTRATOR,
            )
            user.groups.add(groups[role])
            profile_set_departments(
                user=user,
                departments=departments,
                all_departments=everything,
                actor=str(ACTOR),
            )
            created.append((username, password, str(role.label), full_name))
        if not created:
            self.stdout.write(
                gettext("演示账号均已存在，未创建新账号（密码只在创建时显示一次）。")
            )
            return
        self.stdout.write(gettext("演示账号（密码只显示这一次）："))
        for username, password, role, full_name in created:
            self.stdout.write(f"  {role}\t{username}\t{password}\t{full_name}")
