"""``refresh_health [--today YYYY-MM-DD]``: recompute every project's traffic light."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from projects.dossier.health import health_refresh


class Command(BaseCommand):
    help = "按当前红绿灯规则重新计算全部项目的灯色（变红的项目记录变更并通知）。"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="以该日期计算（YYYY-MM-DD），默认今天")

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{today}") from exc
        report = health_refresh(today=day, actor="命令 refresh_health")
        self.stdout.write(
            f"已计算 {report.computed} 个项目；灯色变化 {len(report.changed)} 个；"
            f"新变红 {len(report.turned_red)} 个。"
        )
