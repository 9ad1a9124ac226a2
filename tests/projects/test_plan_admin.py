"""The admin of plans as data: the plan picker, adjustments proposed and reviewed
on their page, the plan page's carry-over and make-current actions, hard delete."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse

from portfolio.models import Plan, Tombstone
from projects.models import Adjustment, Project
from tests.conftest import LOAD_DAY
from tests.factories import UserFactory, clerk_for, reviewer

DEMO = (
    Path(__file__).parents[2] / "fixtures" / "DEMO-made-up-15th-plan-NOT-OFFICIAL.xlsx"
)
OLD, NEW = "bazhong-14th-service", "demo-15th-service"


def _load_next_plan():
    call_command("load_plan", workbook=str(DEMO), today=LOAD_DAY, stdout=StringIO())


def test_the_project_list_shows_the_current_plan_unless_another_is_picked(client, db):
    _load_next_plan()
    client.force_login(reviewer())
    url = reverse("admin:projects_project_changelist")
    current = client.get(url)
    assert current.context["cl"].result_count == 135
    picked = client.get(url, {"plan": NEW})
    assert picked.context["cl"].result_count == 60
    assert "巴中市“十五五”服务业发展规划" in picked.content.decode()


def test_a_clerk_proposes_and_a_supervisor_approves_in_the_admin(client, db):
    project = Project.objects.get(code="t4-003")
    clerk = clerk_for(project)
    client.force_login(clerk)
    added = client.post(
        reverse("admin:projects_adjustment_add"),
        {
            "plan": project.plan_id,
            "kind": "remove",
            "project": project.pk,
            "reason": "项目终止",
            "document_ref": "巴发改〔2026〕10号",
            "payload": "{}",
        },
    )
    assert added.status_code == 302, added.context["adminform"].form.errors
    adjustment = Adjustment.objects.get(project=project)
    changelist = reverse("admin:projects_adjustment_changelist")
    client.post(
        changelist,
        {"action": "submit_adjustments", "_selected_action": [adjustment.pk]},
    )
    client.force_login(reviewer())
    client.post(
        changelist,
        {"action": "approve_adjustments", "_selected_action": [adjustment.pk]},
    )
    project.refresh_from_db()
    assert project.status == "removed"


def test_the_plan_page_carries_over_and_makes_a_plan_current(client, db):
    _load_next_plan()
    old, new = Plan.objects.get(code=OLD), Plan.objects.get(code=NEW)
    changelist = reverse("admin:portfolio_plan_changelist")
    client.force_login(reviewer())  # a supervisor carries over
    client.post(
        changelist, {"action": "carry_over_to_next", "_selected_action": [old.pk]}
    )
    assert Project.objects.filter(plan=new).exclude(continues=None).count() == 126
    client.force_login(UserFactory.administrator(username="t-admin-plans"))
    client.post(changelist, {"action": "make_current", "_selected_action": [new.pk]})
    assert Plan.objects.get(is_current=True) == new
    page = client.get(reverse("admin:projects_project_changelist"))
    assert page.context["cl"].result_count == Project.objects.filter(plan=new).count()


def test_only_an_administrator_deletes_a_project_and_a_tombstone_stays(client, db):
    project = Project.objects.get(code="t6-015")
    url = reverse("admin:projects_project_delete", args=[project.pk])
    client.force_login(reviewer())
    assert client.post(url, {"post": "yes"}).status_code == 403
    client.force_login(UserFactory.administrator(username="t-admin-delete"))
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Project.objects.filter(code="t6-015").exists()
    assert Tombstone.objects.filter(object_code="t6-015").exists()
