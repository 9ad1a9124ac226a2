"""``python manage.py scan_deadlines [--today YYYY-MM-DD]``: the periodic work, now.

Runs synchronously the same services as the Celery beat tasks — year opening,
reminders, overdue notices and escalations, digests — as of that day, and
prints what it did.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from projects.alerts import delivery as alerts
from projects.dossier.health import health_refresh

ACTOR = _("命令 scan_deadlines")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            gettext("--today 须为 YYYY-MM-DD 格式的日期：%(value)s") % {"value": value}
        ) from exc


class Command(BaseCommand):
    # A property: argparse needs a real str, translated when the help is shown.
    @property
    def help(self):
        return gettext(
            "按指定日期立即执行年度开启、截止提醒、逾期扫描与汇总发送（与定时任务相同）"
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help=gettext(
                "以该日期（YYYY-MM-DD）为“今天”扫描；默认今天（Asia/Shanghai）。"
            ),
        )
        parser.add_argument(
            "--no-send",
            action="store_true",
            help=gettext("只扫描、生成通知，不发送汇总邮件和群机器人消息。"),
        )

    def handle(self, *args, today, no_send, **options):
        today = today or timezone.localdate()
        actor = str(ACTOR)
        lights = health_refresh(today=today, actor=actor)
        self.stdout.write(
            gettext(
                "红绿灯：计算 %(computed)s 个项目，变化 %(changed)s 个，"
                "新亮红灯 %(red)s 个。"
            )
            % {
                "computed": lights.computed,
                "changed": len(lights.changed),
                "red": len(lights.turned_red),
            }
        )
        summary = alerts.deadlines_scan(today=today, actor=actor)
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(
            gettext("新增通知合计 %(count)s 条。") % {"count": summary.total_created}
        )
        if no_send:
            self.stdout.write(gettext("未发送汇总（--no-send）。"))
            return
        outcome = alerts.digests_deliver_now(today=today)
        self.stdout.write(
            gettext(
                "汇总发送：已发送 %(sent)s 封/条，失败待重试 %(failed)s，"
                "已取消 %(cancelled)s（事项均已解除）。"
            )
            % {
                "sent": outcome.get("sent", 0),
                "failed": outcome.get("failed", 0),
                "cancelled": outcome.get("cancelled", 0),
            }
        )
        if not any(outcome.values()):
            self.stdout.write(gettext("没有新的事项需要发送。"))
