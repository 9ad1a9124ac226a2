"""``python manage.py plan_report --plan CODE --kind monthly|midterm|final
[--period 2026-11] [--year N] --out FILE.docx``: the bulletin or an evaluation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from projects.reporting.documents.render import TemplateError
from projects.reporting.models import ReportKind
from projects.reporting.periods import period_parse
from projects.reporting.reports import report_render
from projects.reporting.scope import plan_find


class Command(BaseCommand):
    @property
    def help(self):
        return gettext("生成月度调度通报（monthly）或规划中期、终期评估报告（.docx）")

    def add_arguments(self, parser):
        parser.add_argument("--plan", default="")
        parser.add_argument("--kind", choices=ReportKind.values, required=True)
        parser.add_argument("--period", default="")
        parser.add_argument("--year", type=int)
        parser.add_argument("--today", default="")
        parser.add_argument("--out", required=True)

    def handle(self, *args, **options):
        plan = plan_find(options["plan"])
        if plan is None:
            raise CommandError(
                gettext("没有编码为“%(code)s”的规划。") % {"code": options["plan"]}
            )
        kind = options["kind"]
        today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        try:
            period = period_parse(options["period"], today=today or dt.date.today())
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if kind == ReportKind.MIDTERM and not options["year"]:
            raise CommandError(gettext("中期评估须指定 --year。"))
        try:
            content = report_render(
                plan=plan, kind=kind, period=period, year=options["year"], today=today
            )
        except TemplateError as exc:
            raise CommandError(str(exc)) from exc
        Path(options["out"]).write_bytes(content)
        self.stdout.write(
            gettext("已生成 %(out)s（%(size)s 字节）")
            % {"out": options["out"], "size": len(content)}
        )
