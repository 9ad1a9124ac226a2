"""``python manage.py generate_demo --projects N [--seed S]``: synthetic projects."""

from __future__ import annotations

import random

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portfolio.selectors import current_plan
from projects.bootstrap.demo import demo_generate


class Command(BaseCommand):
    help = "生成 N 个演示项目（含年度记录），用于压力测试和基准测试。"

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, required=True, help="项目个数")
        parser.add_argument("--seed", type=int, default=None, help="随机种子")

    def handle(self, *args, projects, seed, **options):
        if projects <= 0:
            raise CommandError("--projects 必须为正数。")
        plan = current_plan()
        if plan is None:
            raise CommandError("尚未导入规划，请先运行 load_plan。")
        seed = seed if seed is not None else random.randrange(1_000_000)
        try:
            report = demo_generate(
                plan=plan, count=projects, seed=seed, today=timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已生成 {report.projects} 个演示项目、{report.year_records} 条年度记录"
            f"（随机种子 {report.seed}）。"
        )
