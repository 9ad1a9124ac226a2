"""``python manage.py generate_demo --projects N [--seed S]``: synthetic projects."""

from __future__ import annotations

import random

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext

from portfolio.selectors import current_plan
from projects.bootstrap.demo import demo_generate


class Command(BaseCommand):
    # A property: argparse needs a real str, translated when the help is shown.
    @property
    def help(self):
        return gettext("生成 N 个演示项目（含年度记录），用于压力测试和基准测试。")

    def add_arguments(self, parser):
        parser.add_argument(
            "--projects", type=int, required=True, help=gettext("项目个数")
        )
        parser.add_argument("--seed", type=int, default=None, help=gettext("随机种子"))

    def handle(self, *args, projects, seed, **options):
        if projects <= 0:
            raise CommandError(gettext("--projects 必须为正数。"))
        plan = current_plan()
        if plan is None:
            raise CommandError(gettext("尚未导入规划，请先运行 load_plan。"))
        seed = seed if seed is not None else random.randrange(1_000_000)
        try:
            report = demo_generate(
                plan=plan, count=projects, seed=seed, today=timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            gettext(
                "已生成 %(projects)s 个演示项目、%(records)s 条年度记录"
                "（随机种子 %(seed)s）。"
            )
            % {
                "projects": report.projects,
                "records": report.year_records,
                "seed": report.seed,
            }
        )
