"""Benchmark of the deadline scan over 10 000, 100 000 and 1 000 000 year records.

Usage: ``python bench/scan_bench.py [--sizes 10000 100000 1000000]`` or, from
``bench/run.py``, ``scan_bench.bench_scan()``. It needs PostgreSQL: it uses a
database of its own (``BENCH_DATABASE_URL``, default
``postgres://root@127.0.0.1:5432/bz_alerts_bench``, created when missing) and
runs each size in a fresh process, after filling the database with synthetic
projects and year records in a few SQL statements.

For each size it measures three scans (``projects.alerts.deadlines_scan``):
the first one on a fresh install (the backlog: every late report, project and
reminder becomes notices), a re-run the same day (nothing new) and the next
week's scan (the year's reports fall due). It prints the number of statements,
the seconds and the notices created; the statements must not change with the
size, the seconds should grow no faster than the number of records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://root@127.0.0.1:5432/bz_alerts_bench"
SIZES = (10_000, 100_000, 1_000_000)
YEARS = range(2021, 2027)  # six records a project: 2021 … 2026
FIRST_DAY = "2026-12-13"  # a week before the 2026 reports are due
NEXT_DAY = "2026-12-21"  # the day after


def _ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def bench_scan(sizes=SIZES, database_url: str | None = None) -> list[dict]:
    """Run the scan benchmark for each size; print and return the figures."""
    url = database_url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
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
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"scan benchmark failed for {size} records")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        _print([results[-1]], header=len(results) == 1)
    base = results[0]
    for row in results[1:]:
        growth = row["records"] / base["records"]
        ratio = row["first"]["seconds"] / max(base["first"]["seconds"], 1e-9)
        print(
            f"{row['records']:>9,} 条 / {base['records']:,} 条 = {growth:.0f} 倍数据，"
            f"首次扫描耗时 {ratio:.1f} 倍"
        )
    return results


def _print(rows: list[dict], header: bool) -> None:
    if header:
        print(
            f"{'year records':>12} {'scan':>16} {'statements':>10} "
            f"{'seconds':>8} {'µs/record':>9} {'notices created':>15}"
        )
    for row in rows:
        for label in ("first", "rerun", "next_week"):
            run = row[label]
            print(
                f"{row['records']:>12,} {label:>16} {run['statements']:>10} "
                f"{run['seconds']:>8.2f} "
                f"{run['seconds'] / row['records'] * 1e6:>9.2f} "
                f"{run['created']:>15,}"
            )
    sys.stdout.flush()


# --- The child: one size in a fresh process -----------------------------------


def _fill(size: int) -> int:  # returns the number of synthetic projects
    """Synthetic projects (six year records each) in two INSERT … SELECT."""
    from django.db import connection

    from portfolio.models import Department, District, Plan, Sector
    from projects.models import PlanTable

    plan = Plan.objects.get(is_current=True)
    districts = list(District.objects.order_by("pk"))
    governments = [
        Department.objects.get(district=district).pk for district in districts
    ]
    sectors = list(Sector.objects.filter(plan=plan).order_by("pk"))
    tables = list(
        PlanTable.objects.filter(plan=plan)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    projects = max(size // len(YEARS), 1)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO projects_project (plan_id, code, table_id, number, name,
                district_id, sector_id, department_id, period, start_year, end_year,
                content, phase, status, seed, version, created_at, updated_at)
            SELECT %(plan)s, 'bench-' || g, (%(tables)s::bigint[])[1 + g %% 7],
                1000 + g / 7,
                '基准项目' || g,
                (%(districts)s::bigint[])[1 + g %% %(nd)s],
                (%(sectors)s::bigint[])[1 + (g / 7) %% %(ns)s],
                (%(governments)s::bigint[])[1 + g %% %(nd)s],
                (2019 + g %% 5) || '-' || (2019 + g %% 5 + g %% 4),
                2019 + g %% 5, 2019 + g %% 5 + g %% 4, '基准测试用建设内容',
                CASE g %% 10 WHEN 0 THEN 'preparing' WHEN 6 THEN 'completed'
                    WHEN 7 THEN 'completed' WHEN 8 THEN 'in_operation'
                    WHEN 9 THEN 'suspended' ELSE 'under_construction' END,
                'active', '{}'::jsonb, 1, now(), now()
            FROM generate_series(1, %(projects)s) AS g
            """,
            {
                "plan": plan.pk,
                "tables": tables,
                "districts": [d.pk for d in districts],
                "governments": governments,
                "sectors": [s.pk for s in sectors],
                "nd": len(districts),
                "ns": len(sectors),
                "projects": projects,
            },
        )
        # States: past years mostly approved, some submitted, returned or never
        # sent; this year's reports mostly still drafts.
        cursor.execute(
            """
            INSERT INTO projects_yearrecord (project_id, year, state, phase,
                progress, problems, next_steps, due_date, submitted_at, returned_at,
                approved_at, return_reason, version, created_at, updated_at)
            SELECT p.id, y.y, s.state, p.phase, '', '', '',
                make_date(y.y, 12, 20),
                CASE WHEN s.state IN ('submitted', 'approved', 'returned')
                    THEN make_timestamptz(y.y, 12, 1 + s.h %% 25, 10, 0, 0,
                        'Asia/Shanghai') END,
                CASE WHEN s.state = 'returned'
                    THEN make_timestamptz(y.y, 12, 26, 10, 0, 0, 'Asia/Shanghai')
                    END,
                CASE WHEN s.state = 'approved'
                    THEN make_timestamptz(y.y, 12, 28, 10, 0, 0, 'Asia/Shanghai')
                    END,
                CASE WHEN s.state = 'returned' THEN '数据不全' ELSE '' END,
                1, now(), now()
            FROM projects_project p
            CROSS JOIN generate_series(%(first)s, %(last)s) AS y(y)
            CROSS JOIN LATERAL (
                SELECT h, CASE
                    WHEN y.y = %(last)s AND h < 30 THEN 'submitted'
                    WHEN y.y = %(last)s THEN 'draft'
                    WHEN h < 70 THEN 'approved'
                    WHEN h < 80 THEN 'submitted'
                    WHEN h < 85 THEN 'returned'
                    ELSE 'draft' END AS state
                FROM (SELECT ((p.id * 7919 + y.y * 104729) %% 100)::int AS h) AS hh
            ) AS s
            WHERE p.code LIKE 'bench-%%'
            """,
            {"first": YEARS[0], "last": YEARS[-1]},
        )
        cursor.execute("ANALYZE")
        return projects


def _people() -> None:
    """Demo accounts (a clerk per department, a supervisor, an administrator),
    a supervisor per district and a second all-city one."""
    from django.core.management import call_command

    from portfolio.models import District
    from tests.factories import UserFactory

    call_command("create_demo_accounts", stdout=open(os.devnull, "w"))  # noqa: SIM115
    for district in District.objects.all():
        government = district.departments.get()
        UserFactory.supervisor([government.code], username=f"bench-sup-{district.code}")
    UserFactory.supervisor(username="bench-sup-city")


def _measure(day: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from projects.alerts.delivery import deadlines_scan

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        summary = deadlines_scan(today=dt.date.fromisoformat(day), open_year=False)
        seconds = time.perf_counter() - start
    return {
        "day": day,
        "statements": len(queries),
        "seconds": round(seconds, 3),
        "created": summary.total_created,
        "resolved": sum(summary.resolved.values()),
    }


def _child(size: int) -> None:
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from projects.bootstrap.plan_loader import plan_load

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE projects_project, projects_notice, projects_digest, "
            "portfolio_auditentry CASCADE"
        )
    plan_load(today=dt.date.fromisoformat(FIRST_DAY))
    _people()
    _fill(size)
    from projects.alerts.models import Notice
    from projects.models import YearRecord

    records = YearRecord.objects.count()

    first = _measure(FIRST_DAY)
    rerun = _measure(FIRST_DAY)
    next_week = _measure(NEXT_DAY)
    print(
        json.dumps(
            {
                "records": records,
                "notices": Notice.objects.count(),
                "first": first,
                "rerun": rerun,
                "next_week": next_week,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
    else:
        bench_scan(args.sizes)


if __name__ == "__main__":
    main()
