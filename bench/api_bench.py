"""The API against its floor: project list (page of 100) and project detail.

The floor answers the same question with the same JSON, but through a plain
Django view that runs hand-written SQL on the psycopg cursor and serializes
with orjson — no DRF, no ORM, no authentication. Both run in-process through
Django's test client (same middleware), against PostgreSQL, with 10 000 and
then 100 000 projects made by ``generate_demo``.

Run: ``python bench/api_bench.py`` (or ``python bench/run.py api``).
Uses ``BENCH_DATABASE_URL`` (default: postgres://root@127.0.0.1:5432/bz_api_bench),
never the development database.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/bz_api_bench"
SIZES = (10_000, 100_000)
REPEAT = 60


def _setup() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    if not url.startswith("postgres"):
        sys.exit("bench/api_bench.py needs PostgreSQL (BENCH_DATABASE_URL)")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    _create_database(url)
    import django

    django.setup()


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# --- the floor: raw SQL, orjson ------------------------------------------------

PROJECT_SQL = """
SELECT p.id, p.code, p.name, t.number, pl.code, p.status, cont.code, cby.code,
       p.number, p.period, p.start_year,
       p.end_year, p.content, p.phase, p.version, p.updated_at,
       s.code, s.name, d.code, d.name, dep.code, dep.name,
       r.id, r.year, r.state, r.phase, r.due_date,
       GREATEST(p.updated_at, (SELECT max(m.updated_at) FROM projects_yearrecord m
                               WHERE m.project_id = p.id)) AS modified_at,
       h.light, h.reasons,
       dos.id, dos.total_investment, dos.fiscal_funds, dos.special_bonds,
       dos.bank_loans, dos.social_capital, dos.other_funds, dos.owner_unit,
       dos.responsible_leader, dos.contact_person, dos.contact_phone,
       ((p.end_year < %(year)s AND NOT p.phase = ANY(%(finished)s))
        OR (p.start_year <= %(year)s AND p.phase = 'preparing')
        OR EXISTS (SELECT 1 FROM projects_yearrecord o
                   WHERE o.project_id = p.id AND o.state = ANY(%(owed)s)
                     AND o.due_date < %(today)s)) AS overdue
FROM projects_project p
LEFT JOIN projects_plantable t ON t.id = p.table_id
JOIN portfolio_plan pl ON pl.id = p.plan_id
LEFT JOIN projects_project cont ON cont.id = p.continues_id
LEFT JOIN projects_project cby ON cby.continues_id = p.id
JOIN portfolio_sector s ON s.id = p.sector_id
JOIN portfolio_district d ON d.id = p.district_id
JOIN portfolio_department dep ON dep.id = p.department_id
LEFT JOIN projects_yearrecord r ON r.project_id = p.id AND r.year = %(year)s
LEFT JOIN projects_projecthealth h ON h.project_id = p.id
LEFT JOIN projects_projectdossier dos ON dos.project_id = p.id
"""
LIGHTS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
DOSSIER_MONEY = (
    "total_investment",
    "fiscal_funds",
    "special_bonds",
    "bank_loans",
    "social_capital",
    "other_funds",
)
DOSSIER_TEXTS = ("owner_unit", "responsible_leader", "contact_person", "contact_phone")


def _floor_dossier(values: tuple) -> dict | None:
    """The dossier embed: null before a clerk entered it; money as 2-decimal text."""
    if values[0] is None:
        return None
    money, texts = values[1:7], values[7:]
    data = {
        name: None if value is None else f"{value:.2f}"
        for name, value in zip(DOSSIER_MONEY, money, strict=True)
    }
    data.update(
        {name: value or "" for name, value in zip(DOSSIER_TEXTS, texts, strict=True)}
    )
    return data


CLUSTERS_SQL = """
SELECT pc.project_id, c.code, c.name
FROM projects_project_clusters pc JOIN portfolio_cluster c ON c.id = pc.cluster_id
WHERE pc.project_id = ANY(%s) ORDER BY c.number
"""


def _floor_record(r_id, year, state, phase, due, start: int, records: str):
    """The embedded year record, or None when the project has none that year."""
    from projects.api.serializers import STATE_LABELS, _phase_label

    if r_id is None:
        return None
    return {
        "id": r_id,
        "url": f"{records}{r_id}/",
        "year": year,
        "state": state,
        "state_display": STATE_LABELS[state],
        "phase": phase or None,
        "phase_display": _phase_label(phase, year, start),
        "due_date": due.isoformat(),
    }


def _floor_rows(cursor, where: str, tail: str, params: dict, base: str, records: str):
    from django.utils import timezone

    from projects.api.serializers import _phase_label

    cursor.execute(PROJECT_SQL + where + tail, params)
    rows = cursor.fetchall()
    ids = [row[0] for row in rows]
    clusters: dict[int, list] = {pk: [] for pk in ids}
    cursor.execute(CLUSTERS_SQL, [ids])
    for project_id, code, name in cursor.fetchall():
        clusters[project_id].append({"code": code, "name": name})
    out = []
    for (
        pk,
        code,
        name,
        table,
        plan_code,
        status,
        continues,
        continued_by,
        number,
        period,
        start,
        end,
        content,
        phase,
        version,
        updated_at,
        s_code,
        s_name,
        d_code,
        d_name,
        dep_code,
        dep_name,
        r_id,
        r_year,
        r_state,
        r_phase,
        r_due,
        modified_at,
        light,
        reasons,
        *dossier,
        overdue,
    ) in rows:
        out.append(
            {
                "code": code,
                "url": f"{base}{code}/",
                "name": name,
                "plan": plan_code,
                "table": table,
                "table_display": f"表{table}" if table else "",
                "status": status,
                "continues": continues,
                "continued_by": continued_by,
                "number": number,
                "sector": s_code,
                "sector_name": s_name,
                "district": d_code,
                "district_name": d_name,
                "department": dep_code,
                "department_name": dep_name,
                "clusters": clusters[pk],
                "period": period,
                "start_year": start,
                "end_year": end,
                "content": content,
                "phase": phase or None,
                "phase_display": _phase_label(phase, timezone.localdate().year, start),
                "year_record": _floor_record(
                    r_id, r_year, r_state, r_phase, r_due, start, records
                ),
                "overdue": overdue,
                "light": light,
                "light_display": LIGHTS.get(light, "未计算"),
                "reasons": list(reasons or []),
                "dossier": _floor_dossier(dossier),
                "version": version,
                "updated_at": timezone.localtime(updated_at).isoformat(),
                "modified_at": timezone.localtime(modified_at).isoformat(),
                "year_records_url": f"{records}?project={code}",
                "history_url": f"{base}{code}/history/",
            }
        )
    return out


def _params() -> dict:
    from django.utils import timezone

    from portfolio.choices import UNSUBMITTED_STATES
    from projects.choices import FINISHED_PHASES

    today = timezone.localdate()
    return {
        "year": today.year,
        "today": today,
        "finished": [str(p) for p in FINISHED_PHASES],
        "owed": [str(s) for s in UNSUBMITTED_STATES],
    }


def floor_list(request):
    import orjson
    from django.db import connection
    from django.http import HttpResponse

    page = int(request.GET.get("page", "1"))
    size = min(int(request.GET.get("page_size", "50")), 500)
    base = request.build_absolute_uri("/api/v1/projects/")
    records = request.build_absolute_uri("/api/v1/year-records/")
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM projects_project")
        count = cursor.fetchone()[0]
        params = {**_params(), "limit": size, "offset": (page - 1) * size}
        results = _floor_rows(
            cursor,
            "",
            " ORDER BY p.plan_id, t.number, p.number LIMIT %(limit)s OFFSET %(offset)s",
            params,
            base,
            records,
        )
    last = (count + size - 1) // size
    body = {
        "count": count,
        "next": f"{base}?page={page + 1}&page_size={size}" if page < last else None,
        "previous": f"{base}?page={page - 1}&page_size={size}" if page > 1 else None,
        "results": results,
    }
    return HttpResponse(orjson.dumps(body), content_type="application/json")


def floor_detail(request, code):
    import orjson
    from django.db import connection
    from django.http import HttpResponse, JsonResponse

    base = request.build_absolute_uri("/api/v1/projects/")
    records = request.build_absolute_uri("/api/v1/year-records/")
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        rows = _floor_rows(
            cursor,
            " WHERE p.code = %(code)s",
            "",
            {**_params(), "code": code},
            base,
            records,
        )
    if not rows:
        return JsonResponse({"detail": "未找到。", "code": "not_found"}, status=404)
    response = HttpResponse(orjson.dumps(rows[0]), content_type="application/json")
    response["ETag"] = f'"{rows[0]["version"]}"'
    return response


def _urlpatterns():
    from django.urls import include, path

    return [
        path("floor/projects/", floor_list),
        path("floor/projects/<str:code>/", floor_detail),
        path("", include("config.urls")),
    ]


urlpatterns: list = []  # filled in by run() once Django is set up


# --- the measurement --------------------------------------------------------------


def _ensure_data(target: int) -> int:
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    from portfolio.selectors import current_plan
    from projects.models import Project

    if current_plan() is None:
        call_command("load_plan", stdout=StringIO())
    have = Project.objects.filter(code__contains="-d").count()
    if have < target:
        print(f"  generate_demo --projects {target - have} …", flush=True)
        started = time.perf_counter()
        call_command(
            "generate_demo",
            "--projects",
            str(target - have),
            "--seed",
            "4",
            stdout=StringIO(),
        )
        print(f"  … {time.perf_counter() - started:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return Project.objects.count()


def _timed_pair(client, api_url: str, floor_url: str, headers: dict):
    """Medians (ms) of the API and of its floor, requests alternating.

    Alternating one API request with one floor request exposes both to the same
    load: on a shared machine, timing one block after the other measures the
    neighbours as much as the code.
    """
    api, floor = [], []
    for _ in range(5):
        client.get(api_url, **headers)
        client.get(floor_url)
    for _ in range(REPEAT):
        for url, extra, samples in ((api_url, headers, api), (floor_url, {}, floor)):
            started = time.perf_counter()
            response = client.get(url, **extra)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.content[:200])
    return statistics.median(api) * 1000, statistics.median(floor) * 1000


def _same_json(client, api_url, floor_url, headers) -> None:
    api = client.get(api_url, **headers).json()
    # The sync cursor is the moment of the read: it differs from call to call.
    api.pop("sync_token", None)
    floor = client.get(floor_url).json()
    assert api == floor, (
        "the floor must answer exactly what the API answers",
        _differences(api, floor),
    )


def _differences(api, floor, path="") -> list[str]:
    """Where two JSON documents differ (the first few places), for the message."""
    if isinstance(api, dict) and isinstance(floor, dict):
        out = [f"{path}/{k}: only in one" for k in set(api) ^ set(floor)]
        for key in set(api) & set(floor):
            out += _differences(api[key], floor[key], f"{path}/{key}")
        return out[:10]
    if isinstance(api, list) and isinstance(floor, list) and len(api) == len(floor):
        out = []
        for i, (a, f) in enumerate(zip(api, floor, strict=True)):
            out += _differences(a, f, f"{path}/{i}")
        return out[:10]
    return [] if api == floor else [f"{path}: {api!r} != {floor!r}"]


def measure(sizes=SIZES) -> list[dict]:
    from django.test import Client, override_settings

    from portfolio.choices import ApiScope
    from portfolio.credentials import api_client_create
    from portfolio.models import ApiClient

    global urlpatterns
    urlpatterns = _urlpatterns()
    results = []
    with override_settings(
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        DEBUG=False,
        API_THROTTLE_RATE="100000000/minute",
    ):
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        ApiClient.objects.filter(name="bench").delete()
        _, token = api_client_create(
            name="bench", scope=ApiScope.READ, actor="bench/api_bench.py"
        )
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
        client = Client()
        for size in sizes:
            total = _ensure_data(size)
            middle = (total // 100) // 2
            cases = [
                ("list, page 1 of 100", "projects/?page_size=100"),
                (
                    f"list, page {middle} of 100",
                    f"projects/?page_size=100&page={middle}",
                ),
                ("detail", "projects/t3-001/"),
            ]
            for label, path in cases:
                api_url, floor_url = f"/api/v1/{path}", f"/floor/{path}"
                _same_json(client, api_url, floor_url, headers)
                api_ms, floor_ms = _timed_pair(client, api_url, floor_url, headers)
                results.append(
                    {
                        "projects": total,
                        "case": label,
                        "api_ms": api_ms,
                        "floor_ms": floor_ms,
                        "ratio": api_ms / floor_ms,
                    }
                )
                print(
                    f"  {total:>7} projects  {label:<24} API {api_ms:7.2f} ms   "
                    f"floor {floor_ms:7.2f} ms   ratio {api_ms / floor_ms:4.2f}×",
                    flush=True,
                )
    return results


def print_table(results: list[dict]) -> None:
    print()
    print(
        f"{'projects':>9}  {'endpoint':<24} {'API ms':>8} {'floor ms':>9} {'ratio':>6}"
    )
    for row in results:
        print(
            f"{row['projects']:>9}  {row['case']:<24} {row['api_ms']:>8.2f} "
            f"{row['floor_ms']:>9.2f} {row['ratio']:>5.2f}×"
        )


def run(sizes=SIZES) -> list[dict]:
    """Entry point for bench/run.py: set up, measure, print; returns the rows."""
    _setup()
    print(f"API vs raw-SQL floor (median of {REPEAT} requests, in-process)")
    results = measure(sizes)
    print_table(results)
    return results


if __name__ == "__main__":
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
    run(sizes)
