"""What an integrator relies on beyond each resource's contract (issue 15):
credentials as client generators send them, strict typing of parameters, one
ordering with several keys, a correct sync cursor, conditional reads, rate-limit
headers, one spelling of "unset", the root listing and the exports' operations.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from projects import services
from projects.dossier.services import project_dossier_update
from projects.models import Project, YearRecord
from tests.factories import admin_actor

pytestmark = pytest.mark.django_db

PROJECTS = "/api/v1/projects/"
RECORDS = "/api/v1/year-records/"


def _latest(code: str) -> YearRecord:
    return YearRecord.objects.filter(project__code=code).order_by("-year")[0]


# -- credentials -----------------------------------------------------------------------


def test_bearer_is_accepted_as_well_as_token(reader, anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {reader.token}")
    assert anonymous.get(PROJECTS).status_code == 200
    anonymous.credentials(HTTP_AUTHORIZATION=f"bearer {reader.token}")
    assert anonymous.get(PROJECTS).status_code == 200


@pytest.mark.parametrize(
    "header, says",
    [
        ("JWT abc.def", "不支持的认证类型“JWT”"),
        ("bzk_a-bare-token", "缺少类型"),
        ("Bearer", "Bearer <令牌>"),
    ],
)
def test_a_wrong_prefix_is_a_401_saying_what_is_wrong(anonymous, plan, header, says):
    anonymous.credentials(HTTP_AUTHORIZATION=header)
    response = anonymous.get(PROJECTS)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert says in response.json()["detail"]
    assert "bzk_a-bare-token" not in response.json()["detail"]


# -- parameters: typed, and refused when they are not of their type --------------------


@pytest.mark.parametrize(
    "path, params, name",
    [
        (PROJECTS, {"overdue": "banana"}, "overdue"),
        (RECORDS, {"overdue": "yes please"}, "overdue"),
        ("/api/v1/notices/", {"read": "banana"}, "read"),
        (PROJECTS, {"year": "2026.5"}, "year"),
        (RECORDS, {"year_min": "x"}, "year_min"),
        (PROJECTS, {"updated_since": "2026-11-28T08:00:00"}, "updated_since"),
        (RECORDS, {"updated_since": "2026-11-28"}, "updated_since"),
        ("/api/v1/deletions/", {"updated_since": "2026-11-28 08:00"}, "updated_since"),
        (PROJECTS, {"ordering": ["code", "nonsense"]}, "ordering"),
    ],
)
def test_invalid_values_are_400_naming_the_parameter(reader, path, params, name):
    response = reader.get(path, params)
    assert response.status_code == 400, response.content[:200]
    assert name in response.json()["errors"], response.json()


def test_a_moment_without_its_zone_is_refused_with_an_example(reader):
    response = reader.get(PROJECTS, {"updated_since": "2026-11-28T08:00:00"})
    assert "+08:00" in response.json()["errors"]["updated_since"][0]
    for aware in ("2026-11-28T08:00:00+08:00", "2026-11-28T00:00:00Z"):
        assert reader.get(PROJECTS, {"updated_since": aware}).status_code == 200


def test_the_detail_refuses_a_year_that_is_not_a_number(reader):
    response = reader.get(f"{PROJECTS}t1-001/", {"year": "twenty"})
    assert response.status_code == 400
    assert "year" in response.json()["errors"]


def test_booleans_are_true_or_false(reader):
    yes = reader.get(PROJECTS, {"overdue": "true", "page_size": 500}).json()
    no = reader.get(PROJECTS, {"overdue": "false", "page_size": 500}).json()
    assert yes["count"] + no["count"] == Project.objects.count()
    assert reader.get(PROJECTS, {"overdue": "1"}).json()["count"] == yes["count"]


def test_ordering_honours_every_key_repeated_or_comma_separated(reader):
    repeated = reader.get(
        PROJECTS, {"ordering": ["start_year", "-code"], "page_size": 500}
    ).json()["results"]
    joined = reader.get(
        PROJECTS, {"ordering": "start_year,-code", "page_size": 500}
    ).json()["results"]
    keys = [(r["start_year"], r["code"]) for r in repeated]
    assert [r["code"] for r in repeated] == [r["code"] for r in joined]
    # By start year, and within one start year by code, descending.
    expected = sorted(keys, key=lambda k: k[1], reverse=True)
    expected.sort(key=lambda k: k[0])
    assert keys == expected
    assert len({k[0] for k in keys}) < len(keys)  # the second key had ties to break


# -- incremental sync ------------------------------------------------------------------


def test_a_year_record_change_moves_its_projects_modified_at(reader):
    before = reader.get(f"{PROJECTS}t1-004/").json()
    services.year_record_update(
        record=_latest("t1-004"),
        actor=admin_actor("erp"),
        data={"progress": "图纸会审完成"},
    )
    after = reader.get(f"{PROJECTS}t1-004/").json()
    assert after["updated_at"] == before["updated_at"]  # the project itself: same
    assert after["modified_at"] > before["modified_at"]
    assert after["modified_at"] > after["updated_at"]


def test_the_sync_token_finds_every_change_made_after_the_page(reader):
    first = reader.get(PROJECTS, {"page_size": 500}).json()
    token = first["sync_token"]
    assert token.endswith("Z")  # UTC: no "+" to escape in a URL
    assert dt.datetime.fromisoformat(token) <= timezone.now()
    project = Project.objects.get(code="t1-007")
    project_dossier_update(
        project=project, actor=admin_actor("erp"), data={"owner_unit": "巴中文旅集团"}
    )
    services.year_record_update(
        record=_latest("t1-008"), actor=admin_actor("erp"), data={"progress": "开工"}
    )
    record = _latest("t1-009")
    services.year_record_delete(record=record, actor=admin_actor("erp"))
    changed = reader.get(PROJECTS, {"updated_since": token, "page_size": 500}).json()
    codes = {row["code"] for row in changed["results"]}
    assert {"t1-007", "t1-008", "t1-009"} <= codes
    assert all(row["modified_at"] >= token[:19] for row in changed["results"])
    dossier = next(r for r in changed["results"] if r["code"] == "t1-007")["dossier"]
    assert dossier["owner_unit"] == "巴中文旅集团"
    records = reader.get(RECORDS, {"updated_since": token, "page_size": 500}).json()
    assert _latest("t1-008").pk in {row["id"] for row in records["results"]}
    gone = reader.get("/api/v1/deletions/", {"updated_since": token}).json()
    assert gone["results"] == [
        {
            "model": "projects.yearrecord",
            "id": record.pk,  # an integer, as the record's id was
            "code": None,
            "deleted_at": gone["results"][0]["deleted_at"],
        }
    ]
    # The older name of the same parameter still works (deprecated).
    again = reader.get("/api/v1/deletions/", {"since": token}).json()
    assert again["results"] == gone["results"]


def test_the_sync_token_waits_for_transactions_still_open(settings):
    """A write stamped before a page is read but committed after it must be found
    with that page's token: the token is not later than the start of the oldest
    transaction still open on the database (PostgreSQL)."""
    import threading

    from django.db import connection, connections, transaction

    from portfolio.sync import sync_token

    if connection.vendor != "postgresql":
        pytest.skip("the open transactions are PostgreSQL's")
    opened, release, started = threading.Event(), threading.Event(), []

    def writer():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT now()")  # the transaction's start
                started.append(cursor.fetchone()[0])
                opened.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert opened.wait(30)
        later = started[0] + dt.timedelta(minutes=10)
        margin = dt.timedelta(seconds=settings.API_SYNC_MARGIN_SECONDS)
        assert sync_token(now=later) <= started[0] - margin
    finally:
        release.set()
        thread.join(30)
    # With nothing else open, the token is the moment of the read less the margin.
    now = timezone.now()
    assert sync_token(now=now) == now - margin


# -- conditional reads -----------------------------------------------------------------


def test_if_none_match_gives_304_until_anything_shown_changes(reader):
    url = f"{PROJECTS}t1-002/"
    first = reader.get(url)
    etag = first["ETag"]
    assert etag.startswith(f'"{first.json()["version"]}-')
    same = reader.get(url, HTTP_IF_NONE_MATCH=etag)
    assert same.status_code == 304 and same["ETag"] == etag and not same.content
    # The year record it embeds changes; the project's version does not.
    services.year_record_update(
        record=_latest("t1-002"),
        actor=admin_actor("erp"),
        data={"progress": "可研批复"},
    )
    changed = reader.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["version"] == first.json()["version"]
    assert changed["ETag"] != etag


def test_if_match_takes_the_etag_as_read_or_the_bare_version(writer):
    url = f"{RECORDS}{_latest('t1-003').pk}/"
    etag = writer.get(url)["ETag"]
    response = writer.patch(url, {"progress": "一"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    version = response.json()["version"]
    response = writer.patch(
        url, {"progress": "二"}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    assert response.status_code == 200
    stale = writer.patch(url, {"progress": "三"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412


# -- rate limits -----------------------------------------------------------------------


def test_rate_limit_headers_come_before_the_429(reader, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    seen = []
    for _ in range(3):
        response = reader.get("/api/v1/districts/")
        assert response.status_code == 200
        seen.append(int(response["RateLimit-Remaining"]))
        assert response["RateLimit-Limit"] == "3"
        assert 0 < int(response["RateLimit-Reset"]) <= 60
    assert seen == [2, 1, 0]
    refused = reader.get("/api/v1/districts/")
    assert refused.status_code == 429
    assert refused["RateLimit-Remaining"] == "0"
    assert int(refused["Retry-After"]) > 0


# -- one spelling of "unset" and of codes ----------------------------------------------


def test_unset_is_null_never_an_empty_string(reader, writer):
    project = reader.get(f"{PROJECTS}t1-001/").json()
    assert project["phase"] is None and project["phase_display"] == "未填报"
    assert project["table"] == 1 and project["table_display"] == "表1"
    record = reader.get(f"{RECORDS}{_latest('t1-001').pk}/").json()
    for name in ("phase", "progress", "problems", "next_steps", "return_reason"):
        assert record[name] is None, name
    url = f"{RECORDS}{_latest('t1-001').pk}/"
    assert writer.patch(url, {"progress": "好"}, format="json").json()["progress"]
    cleared = writer.patch(url, {"progress": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["progress"] is None
    history = reader.get(f"{url}history/").json()["results"]
    assert all(entry["reason"] is None or entry["reason"] for entry in history)
    project_dossier_update(
        project=Project.objects.get(code="t1-001"),
        actor=admin_actor("erp"),
        data={"total_investment": Decimal("100")},
    )
    dossier = reader.get(f"{PROJECTS}t1-001/").json()["dossier"]
    assert dossier["total_investment"] == "100.00"
    assert dossier["owner_unit"] is None and dossier["contact_phone"] is None


def _walk(value, path="$"):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    else:
        yield path, value


@pytest.mark.parametrize(
    "path",
    [
        PROJECTS,
        RECORDS,
        "/api/v1/districts/",
        "/api/v1/sectors/",
        "/api/v1/clusters/",
        "/api/v1/departments/",
        "/api/v1/indicators/",
    ],
)
def test_no_list_shows_an_empty_string(reader, path):
    body = reader.get(path, {"page_size": 500}).json()
    empty = [where for where, value in _walk(body) if value == ""]
    assert not empty, empty[:10]


# -- the root and the exports' operations ----------------------------------------------


def test_the_root_lists_the_resources(anonymous, plan):
    response = anonymous.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    for name in ("projects", "year_records", "districts", "deletions", "dashboard"):
        assert body[name].startswith("http://testserver/api/v1/"), name
    assert body["schema"] == "http://testserver/api/schema/"
    assert anonymous.get(body["projects"]).status_code == 401  # there, not open


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_an_export_operation_answers_what_format_answers(reader):
    params = {"district": "bazhou", "ordering": "-code"}
    operation = reader.get(f"{PROJECTS}export.csv", params)
    assert operation.status_code == 200
    assert operation["Content-Type"] == "text/csv; charset=utf-8"
    old = reader.get(PROJECTS, {**params, "format": "csv"})
    assert _csv(operation) == _csv(old)
    xlsx = reader.get(f"{RECORDS}export.xlsx", {"year": "2024"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    bad = reader.get(f"{PROJECTS}export.csv", {"overdue": "banana"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/json"


def test_an_export_operation_keeps_to_the_callers_scope(bazhou_reader):
    rows = _csv(bazhou_reader.get(f"{PROJECTS}export.csv"))
    listed = bazhou_reader.get(PROJECTS).json()["count"]
    assert len(rows) - 1 == listed < Project.objects.count()


def test_exports_of_projects_and_year_records_show_names_alike(reader):
    projects = _csv(reader.get(f"{PROJECTS}export.csv", {"district": "bazhou"}))
    records = _csv(reader.get(f"{RECORDS}export.csv", {"district": "bazhou"}))
    for rows in (projects, records):
        header = rows[0]
        assert {row[header.index("县区")] for row in rows[1:]} == {"巴州区"}
        sectors = {row[header.index("产业")] for row in rows[1:]}
        assert sectors and all(not s.isascii() for s in sectors), sectors
