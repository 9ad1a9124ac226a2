"""``python manage.py export_oc4ids [--plan PLAN] --out FILE.json``.

Writes the same OC4IDS 0.9.5 project package as ``GET /api/v1/oc4ids/?plan=``,
with every project of the plan (the command runs on the server, for an
administrator: no caller's scope applies). Streamed to the file, then renamed
into place, so a failed run leaves no half-written package behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects.exchange.oc4ids import oc4ids_plan, oc4ids_stream, oc4ids_uri
from projects.models import Project


class Command(BaseCommand):
    help = gettext_lazy("把一个规划的项目导出为 OC4IDS 0.9.5 项目数据包（JSON）。")

    def add_arguments(self, parser):
        parser.add_argument("--plan", help=gettext_lazy("规划编码（默认当前规划）"))
        parser.add_argument(
            "--out", required=True, help=gettext_lazy("输出文件，如 oc4ids.json")
        )

    def handle(self, *args, plan=None, out, **options):
        chosen = oc4ids_plan(plan)
        if chosen is None:
            raise CommandError(
                _("没有这个规划：%(plan)s") % {"plan": plan}
                if plan
                else _("没有当前规划；请用 --plan 指定。")
            )
        projects = Project.objects.filter(plan=chosen).order_by(
            "plan_id", "table", "number"
        )
        count = projects.count()
        if not count:
            raise CommandError(
                _("规划 %(plan)s 没有项目：OC4IDS 数据包至少要有一个项目。")
                % {"plan": chosen.code}
            )
        target = Path(out)
        partial = target.with_name(target.name + ".partial")
        with open(partial, "wb") as file:
            for chunk in oc4ids_stream(projects, plan=chosen, uri=oc4ids_uri(chosen)):
                file.write(chunk)
        os.replace(partial, target)
        self.stdout.write(
            _("已导出 %(count)d 个项目到 %(path)s") % {"count": count, "path": target}
        )
