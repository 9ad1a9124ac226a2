"""``python manage.py carry_over --from PLAN --to PLAN``: link each unfinished
project of the first plan to its continuation in the second; idempotent."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from portfolio.models import Plan
from projects.carry_over import carry_over

ACTOR = "carry_over"


class Command(BaseCommand):
    @property
    def help(self):
        return gettext("把上一规划的未完工项目续建到下一规划（可重复运行）")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="old", required=True)
        parser.add_argument("--to", dest="new", required=True)
        parser.add_argument(
            "--list-only",
            action="store_true",
            help=gettext("不新建续建项目，只列出无对应项目者"),
        )
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, old, new, list_only=False, today=None, **options):
        plans = {p.code: p for p in Plan.objects.filter(code__in=[old, new])}
        for code in (old, new):
            if code not in plans:
                raise CommandError(
                    gettext("没有编码为“%(code)s”的规划。") % {"code": code}
                )
        try:
            report = carry_over(
                old_plan=plans[old],
                new_plan=plans[new],
                actor=ACTOR,
                create=not list_only,
                today=today,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        for line in report.lines():
            self.stdout.write(line)
