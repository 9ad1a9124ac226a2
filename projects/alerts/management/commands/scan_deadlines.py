"""``python manage.py scan_deadlines [--today YYYY-MM-DD]``: the periodic work, now.

Runs synchronously the same services as the Celery beat tasks — year opening,
reminders, overdue notices and escalations, digests — as of that day, and
prints what it did.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from projects.alerts import delivery as alerts
from projects.dossier.health import health_refresh

ACTOR = "命令 scan_deadlines"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today 须为 YYYY-MM-DD 格式的日期：{value}") from exc


class Command(BaseCommand):
    help = "按指定日期立即执行年度开启、截止提醒、逾期扫描与汇总发送（与定时任务相同）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help="以该日期（YYYY-MM-DD）为“今天”扫描；默认今天（Asia/Shanghai）。",
        )
        parser.add_argument(
            "--no-send",
            action="store_true",
            help="只扫描、生成通知，不发送汇总邮件和群机器人消息。",
        )

    def handle(self, *args, today, no_send, **options):
        today = today or timezone.localdate()
        lights = health_refresh(today=today, actor=ACTOR)
        self.stdout.write(
            f"红绿灯：计算 {lights.computed} 个项目，变化 {len(lights.changed)} 个，"
            f"新亮红灯 {len(lights.turned_red)} 个。"
        )
        summary = alerts.deadlines_scan(today=today, actor=ACTOR)
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(f"新增通知合计 {summary.total_created} 条。")
        if no_send:
            self.stdout.write("未发送汇总（--no-send）。")
            return
        outcome = alerts.digests_deliver_now(today=today)
        self.stdout.write(
            "汇总发送：已发送 {sent} 封/条，失败待重试 {failed}，"
            "已取消 {cancelled}（事项均已解除）。".format(
                sent=outcome.get("sent", 0),
                failed=outcome.get("failed", 0),
                cancelled=outcome.get("cancelled", 0),
            )
        )
        if not any(outcome.values()):
            self.stdout.write("没有新的事项需要发送。")
