"""``purge_import_previews``: delete the Excel import previews that have expired.

Expired previews are also deleted at every upload and when they are opened; this
command is for a cron job or by hand, when nobody uploads for a while.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from projects.exchange.previews import import_previews_purge


class Command(BaseCommand):
    @property
    def help(self):
        return gettext(
            "删除已过期的 Excel 导入预览（上传超过 24 小时未确认导入的文件）。"
        )

    def handle(self, *args, **options):
        deleted = import_previews_purge()
        self.stdout.write(
            gettext("已删除过期的导入预览 %(count)s 个。") % {"count": deleted}
        )
