"""Plans in the API: /plans/, ?plan= on every plan-scoped list and export (the
current plan by default), adjustments, direct creation and hard deletion."""

from __future__ import annotations

import csv
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from portfolio.choices import Role
from portfolio.models import Plan
from projects.models import Project
from tests.callers import token_caller, user_caller
from tests.conftest import LOAD_DAY
from tests.factories import admin_actor, clerk_for, reviewer

DEMO = (
    Path(__file__).parents[2] / "fixtures" / "DEMO-made-up-15th-plan-NOT-OFFICIAL.xlsx"
)
OLD, NEW = "bazhong-14th-service", "demo-15th-service"
PLAN_LISTS = ["/api/v1/projects/", "/api/v1/year-records/", "/api/v1/indicators/"]


@pytest.fixture
def two_plans(db):
    call_command("load_plan", workbook=str(DEMO), today=LOAD_DAY, stdout=StringIO())
    return Plan.objects.get(code=OLD), Plan.objects.get(code=NEW)


def test_plans_list_their_tables_and_which_is_current(reader, two_plans):
    body = reader.get("/api/v1/plans/").json()
    plans = {p["code"]: p for p in body["results"]}
    assert plans[OLD]["is_current"] and not plans[NEW]["is_current"]
    assert [t["number"] for t in plans[OLD]["tables"]] == [1, 2, 3, 4, 5, 6, 7]
    assert plans[OLD]["tables"][0] == {
        "number": 1,
        "title": "巴中市“十四五”旅游业重大项目表",
        "sector": "tourism",
    }
    assert len(plans[NEW]["tables"]) == 5
    assert reader.get(f"/api/v1/plans/{NEW}/").json()["start_year"] == 2026


@pytest.mark.parametrize("path", PLAN_LISTS)
def test_every_plan_list_defaults_to_the_current_plan_and_takes_plan(
    reader, two_plans, path
):
    default = reader.get(path, {"page_size": 500}).json()
    chosen = reader.get(path, {"plan": OLD, "page_size": 500}).json()
    other = reader.get(path, {"plan": NEW, "page_size": 500}).json()
    assert default["count"] == chosen["count"]
    if path == "/api/v1/projects/":
        assert default["count"] == 135
        assert other["count"] == 60
        assert {r["plan"] for r in other["results"]} == {NEW}
    if path == "/api/v1/year-records/":
        assert other["count"] == 11  # the demo plan's projects begun by 2026
    assert reader.get(path, {"plan": "nope"}).status_code == 400


@pytest.mark.parametrize("path", PLAN_LISTS)
def test_every_plan_export_takes_plan(reader, two_plans, path):
    def rows(params):
        response = reader.get(path, {"format": "csv", **params})
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return len(list(csv.reader(io.StringIO(text)))) - 1

    assert rows({}) == rows({"plan": OLD})
    if path == "/api/v1/projects/":
        assert (rows({}), rows({"plan": NEW})) == (135, 60)


def test_the_dashboard_shows_the_chosen_plan(reader, two_plans):
    current = reader.get("/api/v1/dashboard/").json()
    chosen = reader.get("/api/v1/dashboard/", {"plan": NEW}).json()
    assert (current["plan"], current["projects"]) == (OLD, 135)
    assert (chosen["plan"], chosen["projects"]) == (NEW, 60)
    assert reader.get("/api/v1/dashboard/", {"plan": "nope"}).status_code == 400


def test_the_admin_dashboard_names_the_chosen_plan(client, two_plans):
    client.force_login(reviewer())
    page = client.get("/admin/", {"plan": NEW}).content.decode()
    assert "巴中市“十五五”服务业发展规划（演示数据，非正式文件）" in page
    # Its figures open the lists of that plan.
    assert f"/admin/projects/project/?plan={NEW}" in page
    current = client.get("/admin/").content.decode()
    assert "?plan=" not in current.split('id="kpi-projects"')[1][:200]


def test_a_project_shows_its_status_and_continuation(reader, two_plans):
    old = reader.get("/api/v1/projects/t1-005/").json()
    new_code = old["continued_by"]
    assert old["status"] == "active" and new_code.startswith("p2026-t1-")
    new = reader.get(f"/api/v1/projects/{new_code}/").json()
    assert (new["plan"], new["continues"], new["table_display"]) == (
        NEW,
        "t1-005",
        "表1",
    )


def test_an_adjustment_through_the_api_and_the_removal_in_the_sync_feed(reader):
    project = Project.objects.get(code="t4-002")
    clerk = user_caller(clerk_for(project))
    boss = user_caller(reviewer())
    since = timezone.now().isoformat()
    proposed = clerk.post(
        "/api/v1/adjustments/",
        {
            "kind": "remove",
            "project": "t4-002",
            "reason": "项目终止",
            "document_ref": "巴发改〔2026〕9号",
        },
        format="json",
    )
    assert proposed.status_code == 201, proposed.json()
    body = proposed.json()
    assert (body["plan"], body["state"], body["document_ref"]) == (
        OLD,
        "draft",
        "巴发改〔2026〕9号",
    )
    url = f"/api/v1/adjustments/{body['id']}/"
    assert clerk.post(url + "submit/").json()["state"] == "submitted"
    assert clerk.post(url + "approve/").status_code == 403
    assert boss.post(url + "approve/").json()["state"] == "approved"
    changed = reader.get("/api/v1/projects/", {"updated_since": since}).json()
    removed = {r["code"]: r for r in changed["results"]}["t4-002"]
    assert removed["status"] == "removed"
    adjustments = reader.get("/api/v1/adjustments/", {"updated_since": since}).json()
    assert [a["id"] for a in adjustments["results"]] == [body["id"]]


def test_direct_creation_is_for_administrators_and_allowed_tokens(db):
    body = {
        "table": 3,
        "name": "直接新建的项目",
        "district": "bazhou",
        "sector": "commerce-logistics",
        "period": "2026-2027",
        "content": "管理员直接新建。",
    }
    clerk_token = token_caller("write")
    assert clerk_token.post("/api/v1/projects/", body, format="json").status_code == 403
    allowed = token_caller("write")
    allowed.api_client.may_manage_projects = True
    allowed.api_client.save()
    created = allowed.post("/api/v1/projects/", body, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["table_display"], created.json()["number"]) == ("表3", 73)
    admin = user_caller(admin_actor())
    reserve = admin.post("/api/v1/projects/", {**body, "table": None}, format="json")
    assert reserve.status_code == 201
    assert (reserve.json()["status"], reserve.json()["table"]) == ("reserve", None)


def test_a_hard_delete_is_for_administrators_and_leaves_a_tombstone(reader):
    since = timezone.now().isoformat()
    writer = token_caller("write", role=Role.SUPERVISOR)
    assert writer.delete("/api/v1/projects/t7-008/").status_code == 403
    admin = user_caller(admin_actor())
    assert admin.delete("/api/v1/projects/t7-008/").status_code == 204
    assert reader.get("/api/v1/projects/t7-008/").status_code == 404
    gone = reader.get("/api/v1/deletions/", {"since": since}).json()["results"]
    assert "t7-008" in {row["code"] for row in gone}
