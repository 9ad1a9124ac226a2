"""``create_api_client NAME --scope read|write [--role ROLE] [--department CODE ...]``.

The token acts as a clerk (填报员) unless ``--role supervisor`` or ``--role
administrator`` is given: the administrator running the command gives those
roles explicitly, never by default.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.choices import ApiScope, Role
from portfolio.credentials import api_client_create
from portfolio.models import ApiClient, Department

ACTOR = _("命令 create_api_client")


class Command(BaseCommand):
    # A property: argparse needs a real str, translated when the help is shown.
    @property
    def help(self):
        return gettext(
            "为外部系统签发 API 令牌（只显示一次）。read：只读；write：按角色填报或审核"
            "（默认填报员角色，督查员、管理员角色须用 --role 明确授予）。"
        )

    def add_arguments(self, parser):
        parser.add_argument("name", help=gettext("外部系统名称（唯一）"))
        parser.add_argument(
            "--scope",
            choices=[choice.value for choice in ApiScope],
            default=ApiScope.READ.value,
            help=gettext("read（只读，默认）或 write（读写）"),
        )
        parser.add_argument(
            "--role",
            choices=[choice.value for choice in Role],
            default=Role.CLERK.value,
            help=_(
                "令牌的角色：clerk（填报员，默认：填报、提交）、supervisor"
                "（督查员：审核、退回、重新打开、移动项目）或 administrator（管理员）"
            ),
        )
        parser.add_argument(
            "--department",
            action="append",
            default=[],
            metavar="CODE",
            help=gettext("只允许访问该责任单位的项目；可重复。不给则为全市。"),
        )
        parser.add_argument(
            "--may-manage-projects",
            action="store_true",
            help=gettext("允许该读写凭据通过 POST /api/v1/projects/ 直接新建项目"),
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help=gettext("多少天后过期；不给则长期有效（可随时吊销）。"),
        )

    def handle(
        self,
        *args,
        name,
        scope,
        role,
        department,
        expires_in_days,
        may_manage_projects=False,
        **options,
    ):
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(
                gettext("已存在名为“%(name)s”的 API 凭据。") % {"name": name}
            )
        departments = list(Department.objects.filter(code__in=department))
        unknown = sorted(set(department) - {d.code for d in departments})
        if unknown:
            raise CommandError(
                gettext("未知的责任单位编码：%(codes)s")
                % {"codes": gettext("、").join(unknown)}
            )
        expires_at = None
        if expires_in_days is not None:
            if expires_in_days <= 0:
                raise CommandError(gettext("--expires-in-days 必须为正数。"))
            expires_at = timezone.now() + dt.timedelta(days=expires_in_days)
        try:
            client, token = api_client_create(
                name=name,
                scope=ApiScope(scope),
                role=Role(role),
                departments=departments,
                expires_at=expires_at,
                may_manage_projects=may_manage_projects,
                actor=str(ACTOR),
            )
        except ValidationError as exc:
            raise CommandError(gettext("；").join(exc.messages)) from exc
        reach = gettext("、").join(d.name for d in departments) or gettext(
            "全市所有项目"
        )
        self.stdout.write(
            gettext("已为“%(name)s”签发 %(scope)s 令牌")
            % {"name": client.name, "scope": client.get_scope_display()}
        )
        self.stdout.write(gettext("范围：%(reach)s") % {"reach": reach})
        self.stdout.write(
            gettext("角色：%(role)s") % {"role": client.get_role_display()}
        )
        if expires_at:
            self.stdout.write(
                gettext("过期时间：%(when)s")
                % {"when": f"{timezone.localtime(expires_at):%Y-%m-%d %H:%M}"}
            )
        self.stdout.write(gettext("令牌只显示这一次，请妥善保存："))
        self.stdout.write(token)
