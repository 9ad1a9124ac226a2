"""Two writers on the embedded default (SQLite): both succeed, nothing is lost.

``make run`` writes from several processes at once (the web server, the Celery
worker, beat). Under a fuzzer with two workers, a PATCH answered 503 ("database
is locked"): a transaction that read and then wrote could not take the write
lock while the other held it, and SQLite refuses that at once instead of
waiting. The settings now open SQLite in WAL mode with ``transaction_mode:
IMMEDIATE`` and a busy timeout (config/settings/base.py), so a writer waits its
turn. Here two processes, each started as ``manage.py shell -c``, update the
same year record through the service, in lockstep, on a fresh SQLite file.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hardening.conftest import figure

pytestmark = pytest.mark.slow  # Python subprocesses on a database of their own

ROOT = Path(__file__).resolve().parent.parent.parent
WRITES = 40

WRITER = """
import os, time
from pathlib import Path
from django.contrib.auth import get_user_model
from projects import services
from projects.models import YearRecord

name, folder = os.environ["WRITER"], Path(os.environ["SYNC_DIR"])
# A named administrator: the services refuse anonymous system writers.
actor, _ = get_user_model().objects.get_or_create(
    username=f"进程{name}", defaults={"is_superuser": True, "is_staff": True}
)
record = YearRecord.objects.get(project__code="t1-001", year=2026)
(folder / f"ready-{name}").touch()
while not (folder / "go").exists():
    time.sleep(0.01)
for i in range(int(os.environ["WRITES"])):
    services.year_record_update(
        record=YearRecord.objects.get(pk=record.pk),
        actor=actor,
        data={"progress": f"{name}{i}", "next_steps": f"{name}{i}"},
    )
print("done", name)
"""


def _manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def test_two_processes_write_the_same_record_on_sqlite(tmp_path):
    database = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
        "CELERY_BROKER_URL": "filesystem://",
        "SYNC_DIR": str(tmp_path),
        "WRITES": str(WRITES),
    }
    env.pop("CACHE_URL", None)
    env.pop("REDIS_URL", None)
    for command in (["migrate", "--no-input", "-v0"], ["load_plan"]):
        done = _manage(env, *command)
        assert done.returncode == 0, done.stderr[-2000:]

    writers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", WRITER],
            cwd=ROOT,
            env={**env, "WRITER": name},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in "AB"
    ]
    try:
        deadline = time.monotonic() + 300
        while not all((tmp_path / f"ready-{n}").exists() for n in "AB"):
            assert all(w.poll() is None for w in writers), [
                w.communicate()[1][-2000:] for w in writers
            ]
            assert time.monotonic() < deadline, "the writers did not start"
            time.sleep(0.05)
        (tmp_path / "go").touch()  # both write from now on, in lockstep
        outputs = [w.communicate(timeout=300) for w in writers]
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
    for name, writer, (out, err) in zip("AB", writers, outputs, strict=True):
        assert writer.returncode == 0, err[-3000:]
        assert out.strip().endswith(f"done {name}")

    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        version, progress, next_steps = db.execute(
            "SELECT r.version, r.progress, r.next_steps FROM projects_yearrecord r "
            "JOIN projects_project p ON p.id = r.project_id "
            "WHERE p.code = 't1-001' AND r.year = 2026"
        ).fetchone()
        history = db.execute(
            "SELECT count(*) FROM portfolio_auditentry "
            "WHERE actor_label IN ('进程A', '进程B')"
        ).fetchone()[0]
    # Every write went through: one version and one history row each, and the
    # last writer's two fields together (no half of one and half of another).
    assert version == 1 + 2 * WRITES
    assert history == 2 * WRITES
    assert progress == next_steps and progress[1:] == str(WRITES - 1)
    figure(
        "SQLite writers",
        f"2 processes × {WRITES} updates of one year record on SQLite (WAL, "
        f"IMMEDIATE): {history} history rows, version 1 → {version}, 0 errors",
    )
