"""The change log (变更记录) reads in labels, display values and names.

One formatter (``portfolio.history``) serves the admin's 变更记录 and the API's
history: field labels instead of field names, choice labels instead of codes,
names of related objects instead of primary keys or codes.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio.choices import ApiScope
from portfolio.credentials import api_client_create
from portfolio.history import change_lines, field_label
from portfolio.models import AuditEntry, Cluster, Department
from projects import services
from projects.choices import Phase
from projects.dossier.health import health_refresh
from projects.dossier.services import project_dossier_update
from projects.models import Project, YearRecord
from tests.factories import UserFactory, admin_actor

pytestmark = pytest.mark.django_db

# Raw keys and codes the old change log showed (issue 14).
RAW = re.compile(
    r"\b(state|phase|planned_investment|actual_investment|percent_complete|"
    r"department_id|district_id|sector_id|draft|submitted|returned|approved|"
    r"under_construction|preparing|None)\b"
)
# ASCII words a label may hold: names of things, not of fields.
ALLOWED_WORDS = {"API", "SHA", "ID", "IP"}


def history_of(obj):
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)),
            object_id=str(obj.pk),
        ).order_by("id")
    )


@pytest.fixture
def record(clerk_bazhou):
    return YearRecord.objects.select_related("project").get(
        project__code="t1-002", year=2026
    )


@pytest.fixture
def walked(record, clerk_bazhou, supervisor):
    """A record filled, submitted, returned, fixed, submitted and approved."""
    services.year_record_update(
        record=record,
        actor=clerk_bazhou,
        data={
            "phase": Phase.UNDER_CONSTRUCTION,
            "planned_investment": Decimal("1200"),
            "percent_complete": Decimal("40"),
        },
    )
    services.year_record_submit(record=record, actor=clerk_bazhou)
    services.year_record_return(record=record, actor=supervisor, reason="投资偏低")
    services.year_record_update(
        record=record, actor=clerk_bazhou, data={"actual_investment": Decimal("300")}
    )
    services.year_record_submit(record=record, actor=clerk_bazhou)
    services.year_record_approve(record=record, actor=supervisor)
    return record


def test_a_year_records_changes_read_in_labels_and_display_values(walked):
    lines = change_lines(history_of(walked))
    texts = [line.text() for entry_lines in lines.values() for line in entry_lines]
    assert "审核状态：填报中 → 已提交" in texts
    assert "审核状态：已提交 → 已退回" in texts
    assert "审核状态：已退回 → 已提交" in texts
    assert "审核状态：已提交 → 已审核" in texts
    # 表1-2 runs 2021–2023: its 2026 record is not its first year.
    assert "年度阶段：未填报 → 在建（续建）" in texts
    assert "计划投资（万元）：— → 1200" in texts
    assert "完成投资（万元）：— → 300" in texts
    for text in texts:
        assert not RAW.search(text), text


def test_the_codes_stay_beside_the_labels(walked):
    entry = history_of(walked)[-1]  # the approval
    [line] = change_lines([entry])[entry.pk]
    assert (line.field, line.before, line.after) == ("state", "submitted", "approved")
    assert (line.label, line.before_display, line.after_display) == (
        "审核状态",
        "已提交",
        "已审核",
    )


def test_related_objects_by_name_never_by_primary_key(clerk_bazhou):
    """``department_id: [2, 1]`` reads as the departments' names."""
    project = Project.objects.get(code="t1-002")
    before = project.department
    other = Department.objects.exclude(pk=before.pk).filter(
        district=project.district
    ).first() or Department.objects.get(code="bazhou-gov")
    clusters = list(Cluster.objects.order_by("number")[:2])
    admin_user = UserFactory.administrator(username="t-admin-history")
    services.project_update(
        project=project,
        actor=admin_user,
        data={"department_id": other.pk, "clusters": clusters},
    )
    entry = history_of(project)[-1]
    texts = [line.text() for line in change_lines([entry])[entry.pk]]
    if other != before:
        assert f"责任单位：{before.name} → {other.name}" in texts
    assert any(
        text.startswith("所属集聚区：") and "、".join(str(c) for c in clusters) in text
        for text in texts
    ), texts
    assert not any(re.search(r"\b\d+, \d+\b|\[", text) for text in texts)


def test_keys_of_other_objects_and_registered_keys_have_labels(clerk_bazhou):
    project = Project.objects.get(code="t1-003")
    project_dossier_update(
        project=project,
        actor=clerk_bazhou,
        data={"total_investment": Decimal("5000"), "owner_unit": "巴州区文旅局"},
    )
    health_refresh(project_ids=[project.pk], actor="tests")
    texts = [
        line.text()
        for lines in change_lines(history_of(project)).values()
        for line in lines
    ]
    assert "总投资（万元）：— → 5000" in texts
    assert "项目业主：— → 巴州区文旅局" in texts
    assert any(text.startswith("红绿灯：— → ") for text in texts), texts


def test_every_key_the_services_wrote_has_a_chinese_label(
    walked, clerk_bazhou, supervisor
):
    """Whatever the plan's loading, the demo accounts and the workflow wrote."""
    project = Project.objects.get(code="t1-003")
    project_dossier_update(
        project=project, actor=clerk_bazhou, data={"total_investment": Decimal("9")}
    )
    health_refresh(project_ids=[project.pk], actor="tests")
    api_client_create(
        name="历史测试系统",
        scope=ApiScope.READ,
        departments=list(Department.objects.filter(code="bazhou-gov")),
        expires_at=None,
        actor=admin_actor(),
    )
    seen = set()
    for content_type_id, changes in AuditEntry.objects.values_list(
        "content_type", "changes"
    ).distinct():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        for key in changes or {}:
            seen.add((model, key))
    assert len(seen) > 15, seen
    for model, key in seen:
        label = field_label(model, key)
        words = set(re.findall(r"[A-Za-z]{2,}", label)) - ALLOWED_WORDS
        assert label != key and not words, (model, key, label)


def test_the_admins_change_log_shows_labels_and_no_field_names(
    walked, client, supervisor
):
    client.force_login(supervisor)
    for url in (
        reverse("admin:projects_yearrecord_history", args=[walked.pk]),
        reverse("admin:projects_yearrecord_change", args=[walked.pk]),
    ):
        html = client.get(url).content.decode()
        table = html.split('<table class="history">')[1].split("</table>")[0]
        assert "审核状态：已提交 → 已审核" in table
        assert "在建（续建）" in table
        assert not RAW.search(re.sub(r"<[^>]+>", " ", table)), url


def test_the_audit_list_shows_labels_in_a_few_queries(walked, client, supervisor):
    client.force_login(supervisor)
    url = reverse("admin:portfolio_auditentry_changelist")
    page = client.get(url, {"q": str(walked.project.reference)})
    html = page.content.decode()
    assert "审核状态：已提交 → 已审核" in html
    body = re.sub(r"<[^>]+>", " ", html.split('id="result_list"')[1])
    assert not RAW.search(body)
    # The kinds of object by name, not as app codes ("projects | 年度记录").
    filters = html.split('id="changelist-filter"')[1]
    assert "年度记录" in filters and "projects |" not in filters
    entry = history_of(walked)[-1]
    detail = client.get(reverse("admin:portfolio_auditentry_change", args=[entry.pk]))
    assert "已提交 → 已审核" in detail.content.decode()


def test_the_api_history_gives_codes_and_labels(walked, client, supervisor):
    client.force_login(supervisor)
    response = client.get(f"/api/v1/year-records/{walked.pk}/history/")
    assert response.status_code == 200
    newest = response.json()["results"][0]
    assert newest["changes"] == {"state": ["submitted", "approved"]}
    assert newest["object_type_display"] == "年度记录"
    assert newest["changes_display"] == [
        {
            "field": "state",
            "label": "审核状态",
            "before": "submitted",
            "after": "approved",
            "before_display": "已提交",
            "after_display": "已审核",
        }
    ]


def test_the_api_history_reads_names_in_queries_that_do_not_grow(
    walked, client, supervisor
):
    """One query per kind of object named, not one per row."""
    client.force_login(supervisor)
    url = f"/api/v1/year-records/{walked.pk}/history/"
    assert client.get(url).json()["count"] >= 7
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"page_size": 2})
    with CaptureQueriesContext(connection) as large:
        client.get(url, {"page_size": 7})
    assert len(large.captured_queries) == len(small.captured_queries)
