"""``refresh_health [--today YYYY-MM-DD]``: recompute every project's traffic light."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from projects.dossier.health import health_refresh

ACTOR = _("命令 refresh_health")


class Command(BaseCommand):
    # A property: argparse needs a real str, translated when the help is shown.
    @property
    def help(self):
        return gettext(
            "按当前红绿灯规则重新计算全部项目的灯色（变红的项目记录变更并通知）。"
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", help=gettext("以该日期计算（YYYY-MM-DD），默认今天")
        )

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(
                gettext("日期格式应为 YYYY-MM-DD：%(today)s") % {"today": today}
            ) from exc
        report = health_refresh(today=day, actor=str(ACTOR))
        self.stdout.write(
            gettext(
                "已计算 %(computed)s 个项目；灯色变化 %(changed)s 个；"
                "新变红 %(red)s 个。"
            )
            % {
                "computed": report.computed,
                "changed": len(report.changed),
                "red": len(report.turned_red),
            }
        )
