"""Adjustments (项目调整): each kind through propose → submit → approve; the plan's
own fields are never edited directly by clerks; the reserve enters by an add."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portfolio.choices import ReviewState, Role
from portfolio.exceptions import TransitionNotAllowed
from portfolio.models import AuditEntry
from portfolio.services import role_group_ensure
from projects import adjustments as adjust
from projects import services
from projects.choices import AdjustmentKind, ProjectStatus
from projects.models import PlanTable, Project, YearRecord
from projects.selectors import projects_of_plan
from tests.factories import admin_actor, clerk_for, reviewer

NEW = {
    "name": "巴州区新增物流配送中心",
    "district": "bazhou",
    "sector": "commerce-logistics",
    "period": "2026-2028",
    "content": "新建配送中心一座。",
}


def _through_review(adjustment, clerk):
    adjust.adjustment_submit(adjustment=adjustment, actor=clerk)
    return adjust.adjustment_approve(adjustment=adjustment, actor=reviewer())


def test_an_add_creates_the_project_in_its_table(plan):
    table = PlanTable.objects.get(plan=plan, number=3)
    clerk = clerk_for(Project.objects.get(code="t3-001"))
    adjustment = adjust.adjustment_propose(
        plan=plan,
        kind=AdjustmentKind.ADD,
        actor=clerk,
        reason="年度重点项目增补",
        document_ref="巴府发〔2026〕1号",
        table=table,
        payload=NEW,
    )
    assert adjustment.state == ReviewState.DRAFT
    assert not Project.objects.filter(name=NEW["name"]).exists()
    done = _through_review(adjustment, clerk)
    added = Project.objects.get(name=NEW["name"])
    assert done.state == ReviewState.APPROVED and done.result == added
    assert (added.table, added.number, added.code) == (table, 73, "t3-073")
    assert added.status == ProjectStatus.ACTIVE
    assert projects_of_plan(plan=plan).count() == 136
    entry = AuditEntry.objects.get(
        object_id=str(added.pk), content_type__model="project"
    )
    assert "巴府发〔2026〕1号" in entry.reason


def test_a_removal_keeps_the_project_readable_with_its_records(plan):
    project = Project.objects.get(code="t2-003")
    records = YearRecord.objects.filter(project=project).count()
    clerk = clerk_for(project)
    adjustment = adjust.adjustment_propose(
        plan=plan,
        kind=AdjustmentKind.REMOVE,
        actor=clerk,
        reason="项目业主放弃实施",
        document_ref="巴发改〔2026〕8号",
        project=project,
    )
    _through_review(adjustment, clerk)
    project.refresh_from_db()
    assert project.status == ProjectStatus.REMOVED
    assert YearRecord.objects.filter(project=project).count() == records
    assert project not in projects_of_plan(plan=plan)
    assert projects_of_plan(plan=plan).count() == 134


def test_a_replacement_removes_one_and_adds_the_other_linked(plan):
    old = Project.objects.get(code="t3-005")
    clerk = clerk_for(old)
    adjustment = adjust.adjustment_propose(
        plan=plan,
        kind=AdjustmentKind.REPLACE,
        actor=clerk,
        reason="以新项目替换",
        project=old,
        payload=NEW,
    )
    done = _through_review(adjustment, clerk)
    old.refresh_from_db()
    assert old.status == ProjectStatus.REMOVED
    assert done.result.name == NEW["name"] and done.result.table == old.table
    assert done.project == old


def test_a_change_edits_the_plans_own_fields_and_a_reload_keeps_it(plan):
    project = Project.objects.get(code="t1-002")
    clerk = clerk_for(project)
    adjustment = adjust.adjustment_propose(
        plan=plan,
        kind=AdjustmentKind.CHANGE,
        actor=clerk,
        reason="建设内容调整",
        project=project,
        payload={"content": "调整后的建设内容", "period": "2021-2027"},
    )
    _through_review(adjustment, clerk)
    project.refresh_from_db()
    assert (project.content, project.start_year, project.end_year) == (
        "调整后的建设内容",
        2021,
        2027,
    )
    from projects.bootstrap.plan_loader import plan_load

    plan_load()
    project.refresh_from_db()
    assert project.content == "调整后的建设内容"


def test_a_returned_adjustment_changes_nothing_and_can_be_resubmitted(plan):
    project = Project.objects.get(code="t1-004")
    clerk = clerk_for(project)
    adjustment = adjust.adjustment_propose(
        plan=plan,
        kind=AdjustmentKind.REMOVE,
        actor=clerk,
        reason="调出",
        project=project,
    )
    adjust.adjustment_submit(adjustment=adjustment, actor=clerk)
    returned = adjust.adjustment_return(
        adjustment=adjustment, actor=reviewer(), reason="缺少文号"
    )
    assert returned.state == ReviewState.RETURNED
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.ACTIVE
    with pytest.raises(TransitionNotAllowed):
        adjust.adjustment_approve(adjustment=returned, actor=reviewer())
    adjust.adjustment_submit(adjustment=returned, actor=clerk)


def test_the_proposer_does_not_approve_their_own_adjustment(plan):
    project = Project.objects.get(code="t1-006")
    supervisor = clerk_for(project, username="t-both")
    supervisor.groups.add(role_group_ensure(role=Role.SUPERVISOR))
    adjustment = adjust.adjustment_propose(
        plan=plan,
        kind=AdjustmentKind.REMOVE,
        actor=supervisor,
        reason="调出",
        project=project,
    )
    adjust.adjustment_submit(adjustment=adjustment, actor=supervisor)
    with pytest.raises(PermissionDenied):
        adjust.adjustment_approve(adjustment=adjustment, actor=supervisor)


def test_a_clerk_cannot_edit_the_plans_own_fields_directly(plan):
    project = Project.objects.get(code="t1-001")
    for data in ({"name": "改名"}, {"content": "改内容"}, {"period": "2021-2030"}):
        with pytest.raises(ValidationError) as refused:
            services.project_update(
                project=project, actor=clerk_for(project), data=data
            )
        (field,) = data
        assert "项目调整" in refused.value.message_dict[field][0]
    assert Project.objects.get(pk=project.pk).name == project.name


def test_a_proposal_is_checked_when_made(plan):
    project = Project.objects.get(code="t1-001")
    clerk = clerk_for(project)
    with pytest.raises(ValidationError) as no_reason:
        adjust.adjustment_propose(
            plan=plan,
            kind=AdjustmentKind.REMOVE,
            actor=clerk,
            reason="",
            project=project,
        )
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as bad:
        adjust.adjustment_propose(
            plan=plan,
            kind=AdjustmentKind.CHANGE,
            actor=clerk,
            reason="改",
            project=project,
            payload={"district": "enyang"},
        )
    assert "payload" in bad.value.message_dict


def test_a_reserve_project_enters_a_table_by_an_add(plan):
    reserve = adjust.project_create(
        plan=plan, table=None, data=NEW, actor=admin_actor()
    )
    assert (reserve.status, reserve.table) == (ProjectStatus.RESERVE, None)
    assert reserve not in projects_of_plan(plan=plan)
    clerk = clerk_for(reserve)
    table = PlanTable.objects.get(plan=plan, number=3)
    adjustment = adjust.adjustment_propose(
        plan=plan,
        kind=AdjustmentKind.ADD,
        actor=clerk,
        reason="储备项目转入",
        project=reserve,
        table=table,
    )
    _through_review(adjustment, clerk)
    reserve.refresh_from_db()
    assert (reserve.status, reserve.table, reserve.number) == (
        ProjectStatus.ACTIVE,
        table,
        73,
    )


def test_only_administrators_create_projects_directly(plan):
    clerk = clerk_for(Project.objects.get(code="t3-001"))
    table = PlanTable.objects.get(plan=plan, number=3)
    with pytest.raises(PermissionDenied):
        adjust.project_create(plan=plan, table=table, data=NEW, actor=clerk)
    created = adjust.project_create(
        plan=plan, table=table, data=NEW, actor=admin_actor()
    )
    assert created.reference == "表3-73"


@pytest.mark.parametrize(
    "payload", [{"name": "a\x00b"}, {"name": ["a list"]}], ids=["nul", "not-text"]
)
def test_a_payload_the_database_cannot_hold_is_refused_by_the_service(plan, payload):
    """Whoever proposes (the admin's JSON box, the API, a task): refused by field."""
    with pytest.raises(ValidationError) as refused:
        adjust.adjustment_propose(
            plan=plan,
            kind=AdjustmentKind.CHANGE,
            actor=admin_actor(),
            reason="更正名称",
            project=Project.objects.get(code="t2-003"),
            payload=payload,
        )
    assert list(refused.value.message_dict) == ["payload"]
