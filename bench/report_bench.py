"""Benchmark of the reports: the plan's 135 projects, then 10 000 generated ones.

Usage: ``python bench/report_bench.py`` or ``python bench/run.py reports``. It
needs PostgreSQL and uses a database of its own (``BENCH_REPORT_DATABASE_URL``,
default ``postgres://root@127.0.0.1:5432/bz_report_bench``, created when
missing). Each size runs in a fresh process: migrate, load the plan, add the
generated projects (``generate_demo``), then time the statistics with the
ranking (what ``/api/v1/statistics/`` answers), the monthly bulletin and the
final evaluation (.docx). Aims: under 10 s at 135 projects, under 60 s at
10 000. A benchmark, not a test: the figures are printed side by side.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_URL = "postgres://root@127.0.0.1:5432/bz_report_bench"
SIZES = (0, 10_000)  # generated projects on top of the plan's 135
AIMS = {0: 10.0, 10_000: 60.0}
TODAY = dt.date(2026, 12, 2)


def run(sizes=SIZES, database_url: str | None = None) -> list[dict]:
    from bench.scan_bench import _ensure_database

    url = database_url or os.environ.get("BENCH_REPORT_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
    }
    results = []
    for size in sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
            raise SystemExit(f"report benchmark failed for {size} generated projects")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    _print(results)
    return results


def _print(results: list[dict]) -> None:
    steps = ["statistics", "monthly", "final", "total"]
    print(f"{'projects':>9} " + " ".join(f"{s:>11}" for s in steps) + f" {'aim':>6}")
    for row in results:
        cells = " ".join(f"{row[s]:>10.2f}s" for s in steps)
        print(f"{row['projects']:>9,} {cells} {row['aim']:>5.0f}s")
    if len(results) > 1:
        small, big = results[0], results[-1]
        print(
            f"{big['projects'] / small['projects']:.0f} 倍项目，"
            f"总耗时 {big['total'] / max(small['total'], 1e-9):.1f} 倍"
        )
    sys.stdout.flush()


def _child(size: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from projects.models import Project
    from projects.reporting.models import ReportKind
    from projects.reporting.periods import period_parse
    from projects.reporting.ranking import ranking_build
    from projects.reporting.reports import report_render
    from projects.reporting.scope import plan_find
    from projects.reporting.statistics import statistics_build

    quiet = open(os.devnull, "w")  # noqa: SIM115
    call_command("flush", interactive=False, stdout=quiet)
    call_command("migrate", verbosity=0, stdout=quiet)
    call_command("load_plan", stdout=quiet)
    if size:
        call_command("generate_demo", projects=size, seed=17, stdout=quiet)
    plan = plan_find(None)
    period = period_parse("2026-11")
    times = {}
    start = time.perf_counter()
    stats = statistics_build(plan, period, today=TODAY)
    ranking_build(plan, period, stats=stats)
    times["statistics"] = time.perf_counter() - start
    mark = time.perf_counter()
    report_render(plan=plan, kind=ReportKind.MONTHLY, period=period, today=TODAY)
    times["monthly"] = time.perf_counter() - mark
    mark = time.perf_counter()
    report_render(plan=plan, kind=ReportKind.FINAL, today=TODAY)
    times["final"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    return {
        "projects": Project.objects.filter(plan=plan).count(),
        "aim": AIMS.get(size, 60.0),
        **times,
    }


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(_child(int(sys.argv[2]))))
    else:
        run()
