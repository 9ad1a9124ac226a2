"""The clerks' desk: editing through the services, stale forms, bulk actions."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.choices import ReviewState
from portfolio.models import AuditEntry, Department
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def inline_management(client, url: str) -> dict:
    """The inline formsets' management fields, as the browser would send them."""
    body = client.get(url).content.decode()
    fields = re.findall(
        r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d*)"',
        body,
    )
    return dict(fields)


def form_data(record: YearRecord, **changes) -> dict:
    data = {
        "phase": record.phase,
        "reason": "",
        "planned_investment": record.planned_investment or "",
        "actual_investment": record.actual_investment or "",
        "percent_complete": record.percent_complete or "",
        "progress": record.progress,
        "problems": record.problems,
        "next_steps": record.next_steps,
        "version_seen": record.version,
    }
    data.update(changes)
    return data


@pytest.fixture
def record():
    record = YearRecord.objects.get(project__code="t1-002", year=2026)
    YearRecord.objects.filter(pk=record.pk).update(phase=Phase.UNDER_CONSTRUCTION)
    record.refresh_from_db()
    return record


def test_clerk_saves_a_report_and_history_names_them(client, clerk_bazhou, record):
    client.force_login(clerk_bazhou)
    url = reverse("admin:projects_yearrecord_change", args=[record.pk])
    data = form_data(record, actual_investment="820.5", percent_complete="45")
    response = client.post(url, {**data, **inline_management(client, url)})
    assert response.status_code == 302, response.content.decode()[:2000]
    record.refresh_from_db()
    assert record.actual_investment == Decimal("820.5")
    entry = AuditEntry.objects.filter(object_id=str(record.pk)).first()
    assert entry.actor == clerk_bazhou
    assert entry.changes["actual_investment"] == [None, "820.5"]


def test_invalid_value_is_shown_in_chinese_and_nothing_saved(
    client, clerk_bazhou, record
):
    client.force_login(clerk_bazhou)
    url = reverse("admin:projects_yearrecord_change", args=[record.pk])
    data = form_data(record, actual_investment="-5")
    response = client.post(url, {**data, **inline_management(client, url)})
    assert response.status_code == 200
    assert "确保该值大于或等于0" in response.content.decode()
    record.refresh_from_db()
    assert record.actual_investment is None


def test_two_stale_forms_the_second_is_told(client, clerk_bazhou, record):
    other = UserFactory.clerk(["bazhou-gov"], username="t-clerk-bazhou-2")
    url = reverse("admin:projects_yearrecord_change", args=[record.pk])
    client.force_login(clerk_bazhou)
    management = inline_management(client, url)
    first = {**form_data(record, progress="甲的进展"), **management}
    second = {**form_data(record, progress="乙的进展"), **management}
    assert client.post(url, first).status_code == 302
    client.force_login(other)
    response = client.post(url, second)
    assert response.status_code == 200
    assert "该记录已被他人修改" in response.content.decode()
    record.refresh_from_db()
    assert record.progress == "甲的进展"


def test_bulk_submit_reports_refusals(client, clerk_bazhou, record):
    ready = record
    not_ready = YearRecord.objects.get(project__code="t1-003", year=2026)
    YearRecord.objects.filter(pk=not_ready.pk).update(phase="")
    client.force_login(clerk_bazhou)
    response = client.post(
        reverse("admin:projects_yearrecord_changelist"),
        {"action": "submit_records", "_selected_action": [ready.pk, not_ready.pk]},
        follow=True,
    )
    body = response.content.decode()
    assert "已提交 1 条年度记录" in body
    assert "提交前请填写本年度项目阶段" in body
    ready.refresh_from_db()
    not_ready.refresh_from_db()
    assert ready.state == ReviewState.SUBMITTED
    assert not_ready.state == ReviewState.DRAFT


def test_return_asks_for_a_reason(client, supervisor, record):
    YearRecord.objects.filter(pk=record.pk).update(state=ReviewState.SUBMITTED)
    client.force_login(supervisor)
    url = reverse("admin:projects_yearrecord_changelist")
    page = client.post(
        url, {"action": "return_records", "_selected_action": [record.pk]}
    )
    assert "退回原因" in page.content.decode()
    record.refresh_from_db()
    assert record.state == ReviewState.SUBMITTED
    client.post(
        url,
        {
            "action": "return_records",
            "_selected_action": [record.pk],
            "apply": "1",
            "reason": "完成投资与统计台账不一致",
        },
    )
    record.refresh_from_db()
    assert record.state == ReviewState.RETURNED
    assert record.return_reason == "完成投资与统计台账不一致"


def test_supervisor_cannot_approve_a_draft(client, supervisor, record):
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:projects_yearrecord_changelist"),
        {"action": "approve_records", "_selected_action": [record.pk]},
        follow=True,
    )
    assert "不能“审核通过”" in response.content.decode()
    record.refresh_from_db()
    assert record.state == ReviewState.DRAFT


def test_overdue_records_stand_out(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    response = client.get(
        reverse("admin:projects_yearrecord_changelist") + "?year__exact=2025"
    )
    assert "逾期未报" in response.content.decode()


def test_every_model_is_registered_in_the_admin(admin_client):
    from django.apps import apps
    from django.contrib import admin

    inline_models = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    for app in ("portfolio", "projects", "indicators"):
        for model in apps.get_app_config(app).get_models():
            assert admin.site.is_registered(model) or model in inline_models, model


def test_the_history_page_shows_the_audit_trail(client, clerk_bazhou, record):
    from projects import services

    services.year_record_update(
        record=record, actor=clerk_bazhou, data={"progress": "完成桩基施工"}
    )
    client.force_login(clerk_bazhou)
    url = reverse("admin:projects_yearrecord_history", args=[record.pk])
    body = client.get(url).content.decode()
    assert "完成桩基施工" in body
    assert "t-clerk-bazhou" in body
    other = YearRecord.objects.get(project__code="t1-009", year=2026)  # 南江县
    response = client.get(reverse("admin:projects_yearrecord_history", args=[other.pk]))
    assert response.status_code == 302  # out of scope: sent away, not shown


# -- moving a project in the admin (issue 13) ----------------------------------------


def _project_post(client, project, **changes) -> tuple[str, dict]:
    from tests.dossier.test_admin import inline_post_data

    url = reverse("admin:projects_project_change", args=[project.pk])
    data = inline_post_data(client.get(url))
    data.update(changes)
    return url, data


def test_a_clerk_cannot_change_the_department_in_the_admin(client, clerk_bazhou):
    project = Project.objects.get(code="t1-001")
    client.force_login(clerk_bazhou)
    page = client.get(reverse("admin:projects_project_change", args=[project.pk]))
    form = page.context["adminform"].form
    assert not {"district", "sector", "department"} & set(form.fields)
    assert "变更原因" not in page.content.decode()
    enyang = Department.objects.get(code="enyang-gov")
    name = project.name
    url, data = _project_post(client, project, department=enyang.pk, name="改名")
    response = client.post(url, data)
    assert response.status_code == 302
    project.refresh_from_db()
    # Neither moved nor renamed: the name is the plan's, changed by an adjustment.
    assert (project.department.code, project.name) == ("bazhou-gov", name)


def test_a_supervisor_moves_a_project_with_a_reason(client, supervisor):
    project = Project.objects.get(code="t1-001")
    client.force_login(supervisor)
    page = client.get(reverse("admin:projects_project_change", args=[project.pk]))
    form = page.context["adminform"].form
    assert {"district", "sector", "department", "move_reason"} <= set(form.fields)
    assert "name" not in form.fields  # the description is the clerks'

    enyang = Department.objects.get(code="enyang-gov")
    url, data = _project_post(client, project, department=enyang.pk)
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "须填写原因" in refused.content.decode()
    assert Project.objects.get(pk=project.pk).department.code == "bazhou-gov"
    data["move_reason"] = "责任单位调整"
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    assert Project.objects.get(pk=project.pk).department == enyang
    entry = AuditEntry.objects.filter(object_id=str(project.pk)).first()
    assert entry.reason == "责任单位调整" and entry.actor == supervisor
