"""The coordination list (问题清单): raised from updates, open → handling → solved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portfolio import review
from portfolio.choices import ReviewAction, ReviewState
from portfolio.exceptions import TransitionNotAllowed
from portfolio.models import AuditEntry, Department
from projects.choices import Phase
from projects.dossier import workflow
from projects.dossier.choices import ProblemState
from projects.dossier.models import CoordinationProblem
from projects.dossier.problems import (
    problem_assign,
    problem_handle,
    problem_raise,
    problem_reopen,
    problem_solve,
)
from projects.dossier.services import progress_update_change, progress_update_submit
from tests.factories import ProjectFactory, UserFactory, YearRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(db):
    project = ProjectFactory(start_year=2025, end_year=2027, period="2025-2027")
    return YearRecordFactory(project=project, year=2026, phase=Phase.UNDER_CONSTRUCTION)


def file_update(record, actor, period="2026-10", **data):
    return progress_update_submit(
        year_record=record,
        period=period,
        actor=actor,
        data={
            "physical_progress": "主体完工",
            "percent_complete": Decimal("60"),
            **data,
        },
        today=dt.date(2026, 11, 28),
    )


def test_problem_in_an_update_becomes_an_item(record, clerk_bazhou):
    update = file_update(
        record, clerk_bazhou, problems="用地指标未落实，需市自然资源局协调"
    )
    problem = CoordinationProblem.objects.get(progress_update=update)
    assert problem.description == "用地指标未落实，需市自然资源局协调"
    assert problem.state == ProblemState.OPEN
    assert problem.owner_department == record.project.department
    assert problem.raised_on == timezone.localdate()
    assert problem.due_date == timezone.localdate() + dt.timedelta(days=30)
    # Correcting the text while still open edits the item, no duplicate.
    progress_update_change(
        update=update, actor=clerk_bazhou, data={"problems": "用地指标未落实（约20亩）"}
    )
    problem.refresh_from_db()
    assert CoordinationProblem.objects.filter(project=record.project).count() == 1
    assert problem.description == "用地指标未落实（约20亩）"


def test_update_without_problem_raises_nothing(record, clerk_bazhou):
    file_update(record, clerk_bazhou)
    assert not CoordinationProblem.objects.filter(project=record.project).exists()


def test_open_handling_solved_with_history(record, clerk_bazhou, supervisor):
    problem = problem_raise(
        project=record.project, actor=clerk_bazhou, description="电力增容"
    )
    land = Department.objects.exclude(pk=problem.owner_department_id).first()
    problem = problem_assign(
        problem=problem,
        actor=supervisor,
        owner_department=land,
        due_date=dt.date(2026, 12, 31),
        reason="属电力部门职责",
    )
    problem = problem_handle(problem=problem, actor=clerk_bazhou)
    assert problem.state == ProblemState.HANDLING
    with pytest.raises(ValidationError) as caught:
        problem_solve(problem=problem, actor=clerk_bazhou, resolution=" ")
    assert "解决情况" in caught.value.message_dict["resolution"][0]
    problem = problem_solve(
        problem=problem, actor=clerk_bazhou, resolution="已完成增容改造"
    )
    assert problem.state == ProblemState.SOLVED
    assert problem.solved_at is not None
    history = list(
        AuditEntry.objects.filter(
            content_type__model="coordinationproblem", object_id=str(problem.pk)
        ).order_by("id")
    )
    assert [e.changes.get("state") for e in history] == [
        None,
        None,
        ["open", "handling"],
        ["handling", "solved"],
    ]
    assert history[1].changes["owner_department"][1] == str(land)
    assert history[1].reason == "属电力部门职责"


def test_transitions_outside_the_table_are_refused(record, clerk_bazhou, supervisor):
    problem = problem_raise(project=record.project, actor=clerk_bazhou, description="x")
    with pytest.raises(TransitionNotAllowed) as caught:
        problem_solve(problem=problem, actor=clerk_bazhou, resolution="done")
    assert caught.value.message == (
        "问题当前状态为“待协调”，不能“标记已解决”；可执行的操作：开始协调。"
    )
    problem = problem_handle(problem=problem, actor=clerk_bazhou)
    problem = problem_solve(problem=problem, actor=clerk_bazhou, resolution="done")
    # Reopening is the supervisors', with a reason.
    with pytest.raises(PermissionDenied):
        problem_reopen(problem=problem, actor=clerk_bazhou, reason="未解决")
    with pytest.raises(ValidationError):
        problem_reopen(problem=problem, actor=supervisor, reason="")
    problem = problem_reopen(problem=problem, actor=supervisor, reason="仍未通电")
    assert problem.state == ProblemState.OPEN
    assert problem.solved_at is None


def test_outsiders_cannot_touch_a_problem(record, clerk_bazhou, clerk_education):
    problem = problem_raise(project=record.project, actor=clerk_bazhou, description="x")
    with pytest.raises(PermissionDenied):
        problem_handle(problem=problem, actor=clerk_education)
    with pytest.raises(PermissionDenied):
        problem_raise(project=record.project, actor=clerk_education, description="y")
    with pytest.raises(PermissionDenied):
        problem_assign(
            problem=problem, actor=clerk_bazhou, due_date=dt.date(2027, 1, 1)
        )


def test_problem_table_is_a_second_table_beside_the_review_one():
    # The review table is unchanged by the dossier.
    assert [(t.action, t.source, t.target) for t in review.REVIEW_TRANSITIONS] == [
        (ReviewAction.SUBMIT, ReviewState.DRAFT, ReviewState.SUBMITTED),
        (ReviewAction.SUBMIT, ReviewState.RETURNED, ReviewState.SUBMITTED),
        (ReviewAction.APPROVE, ReviewState.SUBMITTED, ReviewState.APPROVED),
        (ReviewAction.RETURN, ReviewState.SUBMITTED, ReviewState.RETURNED),
        (ReviewAction.REOPEN, ReviewState.APPROVED, ReviewState.DRAFT),
    ]
    assert [(t.source, t.target) for t in workflow.PROBLEM_TRANSITIONS] == [
        (ProblemState.OPEN, ProblemState.HANDLING),
        (ProblemState.HANDLING, ProblemState.SOLVED),
        (ProblemState.SOLVED, ProblemState.OPEN),
    ]


# -- owner department and due date (issue 13) ----------------------------------------


def test_a_clerk_names_only_its_own_department_or_the_projects(record, clerk_bazhou):
    """Before: a clerk could hand a problem to any department (the finding)."""
    commerce = Department.objects.get(code="commerce-bureau")
    with pytest.raises(ValidationError) as excinfo:
        problem_raise(
            project=record.project,
            actor=clerk_bazhou,
            description="交给商务局",
            owner_department=commerce,
        )
    assert "owner_department" in excinfo.value.message_dict
    assert "督查员" in excinfo.value.message_dict["owner_department"][0]
    assert not CoordinationProblem.objects.filter(project=record.project).exists()
    own = problem_raise(
        project=record.project,
        actor=clerk_bazhou,
        description="本单位协调",
        owner_department=Department.objects.get(code="bazhou-gov"),
    )
    assert own.owner_department.code == "bazhou-gov"


def test_a_bureau_clerk_may_name_the_projects_unit(record):
    clerk = UserFactory.clerk(["commerce-bureau"], username="t-clerk-commerce")
    problem = problem_raise(
        project=record.project, actor=clerk, description="默认责任单位"
    )
    assert problem.owner_department == record.project.department  # 巴州区政府
    problem_raise(
        project=record.project,
        actor=clerk,
        description="商务局自己协调",
        owner_department=Department.objects.get(code="commerce-bureau"),
    )


def test_a_supervisor_assigns_any_department(record, clerk_bazhou, supervisor):
    commerce = Department.objects.get(code="commerce-bureau")
    problem = problem_raise(
        project=record.project,
        actor=supervisor,
        description="督查员指派",
        owner_department=commerce,
    )
    assert problem.owner_department == commerce


@pytest.mark.parametrize(
    "due",
    [dt.date(1900, 1, 1), dt.date(9999, 12, 31), dt.date(2101, 1, 1)],
)
def test_due_dates_outside_sensible_years_are_refused(record, clerk_bazhou, due):
    with pytest.raises(ValidationError) as excinfo:
        problem_raise(
            project=record.project,
            actor=clerk_bazhou,
            description="时限错误",
            due_date=due,
        )
    message = excinfo.value.message_dict["due_date"][0]
    assert "2025年1月1日" in message and "2100年12月31日" in message
    assert not CoordinationProblem.objects.filter(project=record.project).exists()


def test_a_due_date_before_the_projects_start_is_refused(record, supervisor):
    problem = problem_raise(
        project=record.project,
        actor=supervisor,
        description="时限",
        due_date=dt.date(2100, 12, 31),
    )
    with pytest.raises(ValidationError) as excinfo:
        problem_assign(
            problem=problem, actor=supervisor, due_date=dt.date(2024, 12, 31)
        )
    assert "due_date" in excinfo.value.message_dict
    problem.refresh_from_db()
    assert problem.due_date == dt.date(2100, 12, 31)
    problem_assign(problem=problem, actor=supervisor, due_date=dt.date(2025, 1, 1))
