"""Validation, stale writes and year opening, through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portfolio.choices import ReviewState
from portfolio.models import AuditEntry
from projects import services
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.factories import ProjectFactory, clerk_for, reviewer

pytestmark = pytest.mark.django_db
ACTOR = "定时任务 tests"  # opening a year is a system job


@pytest.fixture
def record():
    return YearRecord.objects.get(project__code="t2-001", year=2026)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"actual_investment": Decimal("-1")}, "actual_investment"),
        ({"percent_complete": Decimal("100.01")}, "percent_complete"),
        ({"percent_complete": Decimal("-0.5")}, "percent_complete"),
        (
            {"phase": Phase.COMPLETED, "percent_complete": Decimal("90")},
            "percent_complete",
        ),
    ],
)
def test_invalid_values_are_refused_and_nothing_changes(record, data, field):
    if data.get("phase") == Phase.COMPLETED:
        YearRecord.objects.filter(pk=record.pk).update(phase=Phase.UNDER_CONSTRUCTION)
        record.refresh_from_db()
    before = YearRecord.objects.filter(pk=record.pk).values().get()
    with pytest.raises(ValidationError) as excinfo:
        services.year_record_update(
            record=record, actor=clerk_for(record.project), data=data
        )
    assert field in excinfo.value.message_dict
    assert YearRecord.objects.filter(pk=record.pk).values().get() == before


def test_messages_are_chinese(record):
    with pytest.raises(ValidationError) as excinfo:
        services.year_record_update(
            record=record,
            actor=clerk_for(record.project),
            data={"percent_complete": Decimal("101")},
        )
    assert "100" in excinfo.value.message_dict["percent_complete"][0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(excinfo.value))


def test_a_stale_write_is_refused(record):
    seen = record.version
    services.year_record_update(
        record=record,
        actor=clerk_for(record.project),
        data={"progress": "第一位"},
        expected_version=seen,
    )
    with pytest.raises(services.StaleWrite):
        services.year_record_update(
            record=record,
            actor=clerk_for(record.project),
            data={"progress": "第二位"},
            expected_version=seen,
        )
    record.refresh_from_db()
    assert record.progress == "第一位"


def test_update_writes_history_with_before_and_after(record):
    services.year_record_update(
        record=record,
        actor=clerk_for(record.project),
        data={"actual_investment": Decimal("350.25"), "progress": "完成主体"},
    )
    entry = AuditEntry.objects.filter(object_id=str(record.pk)).first()
    assert entry.changes == {
        "actual_investment": [None, "350.25"],
        "progress": ["", "完成主体"],
    }


def test_submit_needs_a_phase(record):
    YearRecord.objects.filter(pk=record.pk).update(phase="")
    record.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        services.year_record_submit(record=record, actor=clerk_for(record.project))
    assert "phase" in excinfo.value.message_dict
    record.refresh_from_db()
    assert record.state == ReviewState.DRAFT


def test_year_opening_twice_creates_each_record_once(plan):
    first = services.year_open(plan=plan, year=2027, actor=ACTOR)
    second = services.year_open(plan=plan, year=2027, actor=ACTOR)
    assert len(first) > 0
    assert second == []
    assert YearRecord.objects.filter(year=2027).count() == len(first)
    assert all(r.due_date == dt.date(2027, 12, 20) for r in first)


def test_year_opening_skips_finished_projects_past_their_end(plan):
    finished = ProjectFactory(
        start_year=2022, end_year=2024, period="2022-2024", phase=Phase.COMPLETED
    )
    running = ProjectFactory(
        start_year=2022, end_year=2024, period="2022-2024", phase=Phase.SUSPENDED
    )
    future = ProjectFactory(start_year=2029, end_year=2030, period="2029-2030")
    created = {
        r.project_id for r in services.year_open(plan=plan, year=2027, actor=ACTOR)
    }
    assert finished.pk not in created
    assert running.pk in created
    assert future.pk not in created


def test_tracked_years_of_the_loaded_plan():
    # 2023-2025 project: tracked 2023 … 2026 (unfinished, so on past 2025).
    project = Project.objects.get(code="t6-007")
    assert project.period == "2023-2025"
    assert list(project.year_records.values_list("year", flat=True)) == [
        2023,
        2024,
        2025,
        2026,
    ]


@pytest.mark.parametrize("process", ["定时任务 scan_deadlines", None])
def test_no_nameless_process_edits_or_reviews_a_report(record, process):
    """System actors run system jobs (opening a year) only (issue 13)."""
    before = YearRecord.objects.filter(pk=record.pk).values().get()
    with pytest.raises(PermissionDenied, match="系统进程"):
        services.year_record_update(
            record=record, actor=process, data={"progress": "无名修改"}
        )
    services.year_record_update(
        record=record,
        actor=clerk_for(record.project),
        data={"phase": Phase.UNDER_CONSTRUCTION},
    )
    with pytest.raises(PermissionDenied, match="系统进程"):
        services.year_record_submit(record=record, actor=process)
    services.year_record_submit(record=record, actor=clerk_for(record.project))
    with pytest.raises(PermissionDenied, match="系统进程"):
        services.year_record_approve(record=record, actor=process)
    services.year_record_approve(record=record, actor=reviewer())
    assert YearRecord.objects.get(pk=record.pk).state == ReviewState.APPROVED
    assert before["progress"] == YearRecord.objects.get(pk=record.pk).progress
