"""``python manage.py load_plan``: load the plan's seed data, idempotently."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from projects.bootstrap.plan_loader import plan_load


class Command(BaseCommand):
    # A property: argparse needs a real str, translated when the help is shown.
    @property
    def help(self):
        return gettext("载入规划数据（可重复运行，不覆盖填报员的修改）")

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help=gettext("按该日期开启年度记录（默认今天）"),
        )

    def handle(self, *args, today=None, **options):
        report = plan_load(today=today)
        for line in report.lines():
            self.stdout.write(line)
