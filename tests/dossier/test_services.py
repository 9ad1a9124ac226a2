"""The dossier: money and people, in-year progress updates, overdue updates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from portfolio.choices import ProgressCadence, ReviewState
from portfolio.models import AuditEntry
from projects.choices import Phase
from projects.dossier.models import ProgressUpdate, ProjectDossier
from projects.dossier.selectors import progress_updates_overdue
from projects.dossier.services import (
    dossier_for_display,
    personal_fields,
    progress_update_change,
    progress_update_submit,
    project_dossier_update,
)
from projects.services import year_record_submit
from tests.factories import ProjectFactory, YearRecordFactory

pytestmark = pytest.mark.django_db

MONEY = {
    "total_investment": Decimal("1000"),
    "fiscal_funds": Decimal("300"),
    "special_bonds": Decimal("200"),
    "bank_loans": Decimal("100"),
    "social_capital": Decimal("300"),
    "other_funds": Decimal("100"),
}


def audit_of(obj):
    return AuditEntry.objects.filter(
        content_type__model=type(obj)._meta.model_name, object_id=str(obj.pk)
    ).order_by("id")


@pytest.fixture
def project(db):
    return ProjectFactory(start_year=2025, end_year=2027, period="2025-2027")


@pytest.fixture
def record(project):
    return YearRecordFactory(
        project=project,
        year=2026,
        phase=Phase.UNDER_CONSTRUCTION,
        planned_investment=Decimal("1200"),
    )


# --- Money and people ---------------------------------------------------------


def test_sources_that_do_not_add_up_are_refused(project, clerk_bazhou):
    data = {**MONEY, "other_funds": Decimal("0")}
    with pytest.raises(ValidationError) as caught:
        project_dossier_update(project=project, actor=clerk_bazhou, data=data)
    message = caught.value.message_dict["total_investment"][0]
    assert "资金来源合计 900" in message
    assert "与总投资 1000" in message
    assert "相差 100" in message
    assert "财政资金 300" in message
    assert not ProjectDossier.objects.filter(project=project).exists()


def test_sources_that_add_up_are_kept_with_history(project, clerk_bazhou):
    dossier = project_dossier_update(
        project=project,
        actor=clerk_bazhou,
        data={
            **MONEY,
            "owner_unit": "巴中市某某投资有限公司",
            "responsible_leader": "王副市长",
            "contact_person": "李明",
            "contact_phone": "13812345678",
        },
    )
    assert dossier.sources_total == Decimal("1000")
    entry = audit_of(project).get()
    assert entry.changes["dossier.total_investment"] == [None, "1000"]
    assert entry.changes["dossier.owner_unit"] == ["", "巴中市某某投资有限公司"]
    # Personal data is masked in the history, which other supervisors can read.
    assert entry.changes["dossier.contact_phone"] == ["", "138****5678"]
    assert entry.changes["dossier.contact_person"] == ["", "李*"]
    # A second identical write changes nothing and writes no history.
    project_dossier_update(project=project, actor=clerk_bazhou, data=MONEY)
    assert audit_of(project).count() == 1


def test_sources_without_total_refused_total_alone_accepted(project, clerk_bazhou):
    with pytest.raises(ValidationError) as caught:
        project_dossier_update(
            project=project,
            actor=clerk_bazhou,
            data={"fiscal_funds": Decimal("10")},
        )
    assert "请同时填写总投资" in caught.value.message_dict["total_investment"][0]
    dossier = project_dossier_update(
        project=project,
        actor=clerk_bazhou,
        data={"total_investment": Decimal("5000")},
    )
    assert dossier.total_investment == Decimal("5000")


def test_database_refuses_sources_that_do_not_add_up(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectDossier.objects.create(
            project=project,
            total_investment=Decimal("100"),
            fiscal_funds=Decimal("60"),
        )


def test_bad_phone_refused_with_field(project, clerk_bazhou):
    with pytest.raises(ValidationError) as caught:
        project_dossier_update(
            project=project, actor=clerk_bazhou, data={"contact_phone": "12345"}
        )
    assert "contact_phone" in caught.value.message_dict
    dossier = project_dossier_update(
        project=project, actor=clerk_bazhou, data={"contact_phone": "0827-5261234"}
    )
    assert dossier.contact_phone == "0827-5261234"


def test_only_clerks_of_the_project_write_the_dossier(
    project, clerk_education, supervisor
):
    with pytest.raises(PermissionDenied):
        project_dossier_update(
            project=project, actor=clerk_education, data={"owner_unit": "x"}
        )
    with pytest.raises(PermissionDenied):
        project_dossier_update(
            project=project, actor=supervisor, data={"owner_unit": "x"}
        )


def test_personal_data_only_within_scope(
    project, clerk_bazhou, supervisor, district_supervisor
):
    dossier = project_dossier_update(
        project=project,
        actor=clerk_bazhou,
        data={"contact_person": "李明", "contact_phone": "13812345678"},
    )
    assert set(personal_fields()) == {"contact_person", "contact_phone"}
    inside = dossier_for_display(dossier, supervisor)
    assert inside["contact_phone"] == "13812345678"
    outside = dossier_for_display(dossier, district_supervisor)  # 南江 only
    assert outside["contact_phone"] == "138****5678"
    assert outside["contact_person"] == "李*"


# --- In-year progress -----------------------------------------------------------


def submit(record, period, actor, today=dt.date(2026, 11, 28), **data):
    defaults = {
        "physical_progress": "主体施工",
        "percent_complete": Decimal("10"),
    }
    return progress_update_submit(
        year_record=record,
        period=period,
        actor=actor,
        data={**defaults, **data},
        today=today,
    )


def test_cumulative_defaults_to_previous_plus_period(record, clerk_bazhou):
    submit(record, "2026-01", clerk_bazhou, completed_investment=Decimal("100"))
    second = submit(record, "2026-02", clerk_bazhou, completed_investment=Decimal("50"))
    assert second.cumulative_investment == Decimal("150")
    assert second.due_date == dt.date(2026, 3, 5)
    record.refresh_from_db()
    # The latest update feeds the year record.
    assert record.actual_investment == Decimal("150")
    assert record.percent_complete == Decimal("10")


def test_cumulative_never_decreases_without_a_reason(record, clerk_bazhou):
    submit(record, "2026-01", clerk_bazhou, cumulative_investment=Decimal("300"))
    with pytest.raises(ValidationError) as caught:
        submit(record, "2026-02", clerk_bazhou, cumulative_investment=Decimal("250"))
    message = caught.value.message_dict["cumulative_investment"][0]
    assert "低于上期（2026-01）的 300" in message
    assert "累计数下降原因" in message
    assert not ProgressUpdate.objects.filter(period="2026-02").exists()

    update = submit(
        record,
        "2026-02",
        clerk_bazhou,
        cumulative_investment=Decimal("250"),
        decrease_reason="统计局核减重复计算的50万元",
    )
    assert audit_of(update).get().reason == "统计局核减重复计算的50万元"
    record.refresh_from_db()
    assert record.actual_investment == Decimal("250")
    record_entry = audit_of(record).last()
    assert "统计局核减" in record_entry.reason


def test_percent_never_goes_back_without_a_reason(record, clerk_bazhou):
    submit(record, "2026-01", clerk_bazhou, percent_complete=Decimal("40"))
    with pytest.raises(ValidationError) as caught:
        submit(record, "2026-02", clerk_bazhou, percent_complete=Decimal("35"))
    assert "形象进度 35" in caught.value.message_dict["percent_complete"][0]


def test_correcting_an_earlier_period_cannot_undercut_the_next(record, clerk_bazhou):
    first = submit(
        record, "2026-01", clerk_bazhou, cumulative_investment=Decimal("100")
    )
    submit(record, "2026-02", clerk_bazhou, cumulative_investment=Decimal("200"))
    with pytest.raises(ValidationError) as caught:
        progress_update_change(
            update=first,
            actor=clerk_bazhou,
            data={"cumulative_investment": Decimal("260")},
        )
    assert (
        "高于下一期（2026-02）" in caught.value.message_dict["cumulative_investment"][0]
    )
    # Correcting an earlier period does not overwrite the year's latest figures.
    progress_update_change(
        update=first, actor=clerk_bazhou, data={"cumulative_investment": Decimal("150")}
    )
    record.refresh_from_db()
    assert record.actual_investment == Decimal("200")


def test_periods_are_checked(record, clerk_bazhou, plan):
    with pytest.raises(ValidationError) as caught:
        submit(record, "2025-12", clerk_bazhou)
    assert "不属于 2026 年度记录" in caught.value.message_dict["period"][0]
    with pytest.raises(ValidationError) as caught:
        submit(record, "2026-12", clerk_bazhou, today=dt.date(2026, 11, 28))
    assert "尚未开始" in caught.value.message_dict["period"][0]
    with pytest.raises(ValidationError) as caught:
        submit(record, "2026-Q1", clerk_bazhou)
    assert "按月调度" in caught.value.message_dict["period"][0]
    submit(record, "2026-03", clerk_bazhou)
    with pytest.raises(ValidationError) as caught:
        submit(record, "2026-03", clerk_bazhou)
    assert "已报送" in caught.value.message_dict["period"][0]

    plan.progress_cadence = ProgressCadence.QUARTERLY
    plan.save()
    update = submit(record, "2026-q2", clerk_bazhou)
    assert (update.period, update.period_end, update.due_date) == (
        "2026-Q2",
        dt.date(2026, 6, 30),
        dt.date(2026, 7, 5),
    )


def test_updates_close_when_the_yearly_report_is_submitted(record, clerk_bazhou):
    submit(record, "2026-01", clerk_bazhou)
    year_record_submit(record=record, actor=clerk_bazhou)
    with pytest.raises(ValidationError) as caught:
        submit(record, "2026-02", clerk_bazhou)
    assert "已关闭" in caught.value.message_dict["year_record"][0]


def test_supervisors_do_not_file_updates(record, supervisor):
    with pytest.raises(PermissionDenied):
        submit(record, "2026-01", supervisor)


# --- Missing updates are overdue items ---------------------------------------------


@pytest.fixture
def since_march(settings):
    # Reporting starts in March: earlier months owe nothing.
    settings.PROJECTS_PROGRESS_SINCE = dt.date(2026, 3, 1)


def items_for(record, today):
    return [
        item
        for item in progress_updates_overdue(today)
        if item.year_record_id == record.pk
    ]


def test_monthly_update_missing_on_the_6th_is_one_overdue_item(
    record, clerk_bazhou, since_march
):
    assert items_for(record, dt.date(2026, 4, 5)) == []  # due today, not late
    items = items_for(record, dt.date(2026, 4, 6))
    assert len(items) == 1
    (item,) = items
    assert (item.period, item.due_date, item.project_id) == (
        "2026-03",
        dt.date(2026, 4, 5),
        record.project_id,
    )
    assert item.days_overdue(dt.date(2026, 4, 6)) == 1
    # Asked again (a re-run), the same single item with the same key.
    again = items_for(record, dt.date(2026, 4, 6))
    assert (
        [i.key for i in again] == [item.key] == [f"progress-update:{record.pk}:2026-03"]
    )
    # Filed (late), it is no longer overdue.
    submit(record, "2026-03", clerk_bazhou, today=dt.date(2026, 4, 6))
    assert items_for(record, dt.date(2026, 4, 6)) == []


def test_quarterly_plan_owes_one_update_a_quarter(record, plan, since_march):
    plan.progress_cadence = ProgressCadence.QUARTERLY
    plan.save()
    assert items_for(record, dt.date(2026, 4, 5)) == []
    assert [i.period for i in items_for(record, dt.date(2026, 4, 6))] == ["2026-Q1"]
    assert [i.period for i in items_for(record, dt.date(2026, 7, 6))] == [
        "2026-Q1",
        "2026-Q2",
    ]


@pytest.mark.parametrize(
    ("phase", "state", "owed"),
    [
        (Phase.PREPARING, ReviewState.DRAFT, True),
        (Phase.UNDER_CONSTRUCTION, ReviewState.RETURNED, True),
        (Phase.COMPLETED, ReviewState.DRAFT, False),
        (Phase.SUSPENDED, ReviewState.DRAFT, False),
        (Phase.CANCELLED, ReviewState.DRAFT, False),
        (Phase.UNDER_CONSTRUCTION, ReviewState.SUBMITTED, False),
        (Phase.UNDER_CONSTRUCTION, ReviewState.APPROVED, False),
    ],
)
def test_who_owes_updates(record, since_march, phase, state, owed):
    record.phase, record.state = phase, state
    if phase == Phase.COMPLETED:
        record.percent_complete = Decimal("100")
    record.save()
    assert bool(items_for(record, dt.date(2026, 4, 6))) is owed


def test_overdue_selector_takes_constant_queries(
    record, since_march, django_assert_max_num_queries
):
    for _ in range(5):
        YearRecordFactory(project=ProjectFactory(), year=2026)
    with django_assert_max_num_queries(2):
        items = progress_updates_overdue(dt.date(2026, 5, 6))
    assert len(items) >= 12  # 6+ records × March and April
