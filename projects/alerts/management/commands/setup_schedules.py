"""``python manage.py setup_schedules [--reset]``: the beat schedule, in the database.

Creates (idempotently) the periodic tasks of django-celery-beat, on crontabs in
Asia/Shanghai time — set explicitly on each schedule, since django-celery-beat
otherwise reads a crontab in UTC. An existing task keeps what an administrator
changed in the admin, unless ``--reset`` puts the settings' times back.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext
from django_celery_beat.models import CrontabSchedule, PeriodicTask

TIMEZONE = "Asia/Shanghai"


def _format_error(name: str, value: str) -> str:
    return gettext("%(name)s 须为 HH:MM 格式：%(value)s") % {
        "name": name,
        "value": value,
    }


def _hour_minute(value: str, name: str) -> tuple[str, str]:
    try:
        hour, minute = (int(part) for part in value.split(":"))
    except ValueError as exc:
        raise CommandError(_format_error(name, value)) from exc
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise CommandError(_format_error(name, value))
    return str(hour), str(minute)


def schedules() -> list[dict]:
    """The wanted periodic tasks: name, task and crontab fields."""
    scan_hour, scan_minute = _hour_minute(
        settings.PORTFOLIO_SCAN_TIME, "PORTFOLIO_SCAN_TIME"
    )
    digest_hour, digest_minute = _hour_minute(
        settings.PORTFOLIO_DIGEST_TIME, "PORTFOLIO_DIGEST_TIME"
    )
    return [
        {
            "name": gettext("开启新年度（每年1月1日 00:10）"),
            "task": "projects.tasks.year_open",
            "crontab": {
                "minute": "10",
                "hour": "0",
                "day_of_month": "1",
                "month_of_year": "1",
            },
            "description": gettext("为新的一年开启各在库项目的年度记录（填报中）。"),
        },
        {
            "name": gettext("截止提醒与逾期扫描（每日 %(time)s）")
            % {"time": settings.PORTFOLIO_SCAN_TIME},
            "task": "projects.tasks.deadlines_scan",
            "crontab": {"minute": scan_minute, "hour": scan_hour},
            "description": gettext(
                "生成截止提醒、逾期、超期、未开工、未审核及升级通知。"
            ),
        },
        {
            "name": gettext("提醒与逾期汇总发送（每日 %(time)s）")
            % {"time": settings.PORTFOLIO_DIGEST_TIME},
            "task": "projects.tasks.digests_send",
            "crontab": {"minute": digest_minute, "hour": digest_hour},
            "description": gettext(
                "每位接收人一封汇总邮件，每个部门群机器人一条消息。"
            ),
        },
        {
            "name": gettext("外部系统事件推送（每分钟）"),
            "task": "alerts.webhooks_dispatch",
            "crontab": {"minute": "*", "hour": "*"},
            "description": gettext(
                "把新的变更与通知推送给订阅的外部系统，并重试失败的推送。"
            ),
        },
    ]


class Command(BaseCommand):
    # A property: argparse needs a real str, translated when the help is shown.
    @property
    def help(self):
        return gettext(
            "创建（幂等）年度开启、每日扫描、每日汇总与事件推送的定时任务"
            "（Asia/Shanghai 时间）"
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help=gettext(
                "按当前设置重置已有定时任务的时间（覆盖在管理后台所做的修改）。"
            ),
        )

    @transaction.atomic
    def handle(self, *args, reset, **options):
        for wanted in schedules():
            crontab, _ = CrontabSchedule.objects.get_or_create(
                timezone=TIMEZONE,
                day_of_week="*",
                day_of_month=wanted["crontab"].get("day_of_month", "*"),
                month_of_year=wanted["crontab"].get("month_of_year", "*"),
                hour=wanted["crontab"]["hour"],
                minute=wanted["crontab"]["minute"],
            )
            task = PeriodicTask.objects.filter(task=wanted["task"]).first()
            if task is None:
                PeriodicTask.objects.create(
                    name=wanted["name"],
                    task=wanted["task"],
                    crontab=crontab,
                    description=wanted["description"],
                )
                self.stdout.write(
                    gettext("已创建定时任务：%(name)s") % {"name": wanted["name"]}
                )
            elif reset and task.crontab_id != crontab.pk:
                task.crontab = crontab
                task.interval = None
                task.name = wanted["name"]
                task.save()
                self.stdout.write(
                    gettext("已按设置重置：%(name)s") % {"name": wanted["name"]}
                )
            else:
                self.stdout.write(
                    gettext("已存在，保持不变：%(name)s") % {"name": task.name}
                )
