"""Load test: an external system's traffic against gunicorn on PostgreSQL.

Builds (once) a database with the plan and 100 000 synthetic projects
(``generate_demo``), starts gunicorn with the production settings, and holds
locust's headless load (bench/locustfile.py: filtered lists, project detail,
year-record updates with If-Match, submits) for a fixed time. Prints the
throughput, the p50/p95/p99 per kind of request and the errors (which must be
0: the exit status is 1 otherwise).

Run: ``python bench/load_test.py [--users 20] [--duration 60] [--projects 100000]``
or ``python bench/run.py load`` (``make bench`` runs every benchmark).
Database: ``LOAD_DATABASE_URL`` (default postgres://root@127.0.0.1:5432/bz_hard_load),
never the development database. The first run spends a few minutes generating.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/bz_hard_load"
LOCUSTFILE = ROOT / "bench" / "locustfile.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def _prepare_database(url: str, projects: int) -> int:
    """Create, migrate, load the plan and generate up to ``projects`` projects."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    _manage(url, "migrate", "--no-input", "-v0")
    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT count(*) FROM projects_project").fetchone()[0]
    if have == 0:
        _manage(url, "load_plan")
        have = 135
    if have < projects:
        print(f"  generate_demo --projects {projects - have} …", flush=True)
        started = time.perf_counter()
        _manage(url, "generate_demo", "--projects", str(projects - have))
        print(f"  … {time.perf_counter() - started:.0f} s", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM projects_project").fetchone()[0]


TOKEN_SCRIPT = """
from django.utils import timezone
from portfolio.choices import ApiScope
from portfolio.credentials import api_client_create
client, token = api_client_create(
    name="负载测试 " + timezone.now().isoformat(), scope=ApiScope.WRITE,
    actor="bench/load_test.py",
)
print(token)
"""


def _pool(url: str, users: int, path: Path) -> dict:
    """Keys the simulated systems use; each user gets its own records to write."""
    import datetime as dt

    import psycopg

    year = dt.date.today().year
    with psycopg.connect(url) as conn:
        codes = [
            row[0]
            for row in conn.execute(
                "SELECT code FROM projects_project ORDER BY random() LIMIT 5000"
            )
        ]
        districts = [r[0] for r in conn.execute("SELECT code FROM portfolio_district")]
        # Sectors with projects enough for the pages asked (1–5 of 50).
        sectors = [
            r[0]
            for r in conn.execute(
                "SELECT s.code FROM portfolio_sector s JOIN projects_project p"
                " ON p.sector_id = s.id GROUP BY s.code HAVING count(*) >= 250"
            )
        ]
        # Draft records of this year, under way (a completed project's progress
        # must stay at 100 %): updatable and submittable.
        drafts = conn.execute(
            "SELECT id, version FROM projects_yearrecord"
            " WHERE state = 'draft' AND year = %s"
            " AND phase IN ('preparing', 'under_construction')"
            " ORDER BY random() LIMIT %s",
            [year, users * 400],
        ).fetchall()
    if len(drafts) < users * 400:
        sys.exit(f"not enough draft records for {users} users: {len(drafts)}")
    per_user = [drafts[i::users] for i in range(users)]
    pool = {
        "codes": codes,
        "districts": districts,
        "sectors": sectors,
        "years": [year, year - 1],
        "update": [[list(r) for r in chunk[:50]] for chunk in per_user],
        "submit": [[list(r) for r in chunk[50:]] for chunk in per_user],
    }
    path.write_text(json.dumps(pool), encoding="utf-8")
    return pool


def _gunicorn(url: str, workers: int, threads: int):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": url,
        "SECRET_KEY": "load-test-" + "x" * 40,
        "SECURE_SSL_REDIRECT": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONN_MAX_AGE": "60",
        # The write throttle (120/minute per client) is a policy, not a capacity:
        # one token carries the whole simulated traffic here.
        "API_THROTTLE_RATE": "100000000/minute",
        "API_WRITE_THROTTLE_RATE": "100000000/minute",
        "LOG_LEVEL": "WARNING",
    }
    log_path = Path(tempfile.mkstemp(prefix="bz-load-gunicorn-")[1])
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    import requests

    host = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(f"{host}/api/v1/", timeout=10)
            return process, host, log_path
        except requests.RequestException:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start: " + log_path.read_text()[-2000:])


def _read_stats(prefix: str) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _print(rows: list[dict]) -> dict:
    print()
    print(
        f"{'request':<32} {'count':>7} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    total = {}
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        if name == "ALL":
            total = row
            print("-" * 82)
        print(
            f"{name:<32} {row['Request Count']:>7} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} "
            f"{row['99%']:>7}"
        )
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    url = os.environ.get("LOAD_DATABASE_URL", DEFAULT_DB)
    if not url.startswith("postgres"):
        sys.exit("bench/load_test.py needs PostgreSQL (LOAD_DATABASE_URL)")

    print(f"load test: {url.rsplit('/', 1)[1]}", flush=True)
    projects = _prepare_database(url, args.projects)
    token = _manage(url, "shell", "-c", TOKEN_SCRIPT).split()[-1]
    workdir = Path(tempfile.mkdtemp(prefix="bz-load-"))
    pool = _pool(url, args.users, workdir / "pool.json")
    process, host, log = _gunicorn(url, args.workers, args.threads)
    try:
        prefix = str(workdir / "locust")
        print(
            f"  {projects} projects; gunicorn {args.workers} workers × "
            f"{args.threads} threads (production settings); locust {args.users} "
            f"users for {args.duration} s …",
            flush=True,
        )
        subprocess.run(
            [
                str(Path(sys.executable).parent / "locust"),
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.users),
                "--run-time",
                f"{args.duration}s",
                "--host",
                host,
                "--csv",
                prefix,
                "--only-summary",
                "--stop-timeout",
                "10",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "LOAD_TOKEN": token,
                "LOAD_POOL": str(workdir / "pool.json"),
            },
            check=False,
            capture_output=True,
        )
        rows = _read_stats(prefix)
    finally:
        process.terminate()
        process.wait(timeout=30)
    total = _print(rows)
    failures = int(total.get("Failure Count", 1))
    submitted = sum(len(chunk) for chunk in pool["submit"])
    print(
        f"\n{projects} projects, {args.users} users, {args.duration} s: "
        f"{float(total['Requests/s']):.1f} req/s, p50 {total['50%']} ms, "
        f"p95 {total['95%']} ms, p99 {total['99%']} ms, errors {failures} "
        f"(submit pool {submitted} records)",
        flush=True,
    )
    if failures:
        failures_csv = Path(f"{prefix}_failures.csv")
        if failures_csv.exists():
            print(failures_csv.read_text(encoding="utf-8")[:3000])
        print("gunicorn log:", log.read_text()[-3000:])
    log.unlink(missing_ok=True)
    return 1 if failures else 0


def run() -> None:
    """Entry point for bench/run.py."""
    status = main([])
    if status:
        sys.exit(status)


if __name__ == "__main__":
    sys.exit(main())
