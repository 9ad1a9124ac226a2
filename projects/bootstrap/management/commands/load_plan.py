"""``python manage.py load_plan [--workbook FILE.xlsx]``: load a plan, idempotently.

Without ``--workbook``: the 14th plan's seed data from ``fixtures/``. With it:
any plan from a workbook in the layout of CONTRACT.md (all or nothing; every
error named by sheet, row and column, and a non-zero exit).
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from projects.bootstrap.plan_loader import plan_load
from projects.exchange.plan_loading import plan_workbook_load
from projects.exchange.plan_workbook import PlanWorkbookInvalid, plan_workbook_read

ACTOR = "load_plan"


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
        parser.add_argument(
            "--workbook",
            default=None,
            help=gettext("从规划工作簿（.xlsx）载入一个规划"),
        )

    def handle(self, *args, today=None, workbook=None, **options):
        if workbook is None:
            report = plan_load(today=today)
        else:
            try:
                parsed = plan_workbook_read(workbook)
            except PlanWorkbookInvalid as exc:
                for error in exc.errors:
                    self.stderr.write(str(error))
                raise CommandError(
                    gettext("工作簿有 %(count)s 处错误，未载入任何数据。")
                    % {"count": len(exc.errors)}
                ) from exc
            report = plan_workbook_load(parsed=parsed, actor=ACTOR, today=today)
        for line in report.lines():
            self.stdout.write(line)
