"""``python manage.py serve``: the web server, a Celery worker and beat together.

Used by ``make run`` on embedded defaults (SQLite, filesystem broker). Ctrl-C
stops all three.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext


class Command(BaseCommand):
    # A property: argparse needs a real str, translated when the help is shown.
    @property
    def help(self):
        return gettext(
            "同时启动网站（runserver）、Celery worker 与 Celery beat；Ctrl-C 全部停止"
        )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr, **options):
        # Ctrl-C (SIGINT) and SIGTERM both stop everything, even when started from a
        # shell that ignores SIGINT for background jobs.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        python = sys.executable
        broker = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        for key in ("data_folder_in", "data_folder_out", "processed_folder"):
            if broker.get(key):
                os.makedirs(broker[key], exist_ok=True)
        beat_schedule = settings.VAR_DIR / "celerybeat-schedule"
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [
                python, "-m", "celery", "-A", "config.celery_app", "worker",
                "--loglevel=INFO", "--concurrency=1", "--pool=solo",
            ],
            "beat": [
                python, "-m", "celery", "-A", "config.celery_app", "beat",
                "--loglevel=INFO", f"--schedule={beat_schedule}",
            ],
        }  # fmt: skip
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR)
            for name, command in commands.items()
        }
        self.stdout.write(
            gettext(
                "管理后台 http://%(addr)s/admin/ ，API http://%(addr)s/api/v1/ ，"
                "接口文档 http://%(addr)s/api/docs/ 。按 Ctrl-C 停止。"
            )
            % {"addr": addr}
        )
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, p in processes.items() if p.poll() is not None]
            self.stderr.write(
                gettext("进程已退出：%(names)s；正在停止其余进程。")
                % {"names": ", ".join(stopped)}
            )
        except KeyboardInterrupt:
            self.stdout.write(gettext("正在停止……"))
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
