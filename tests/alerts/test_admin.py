"""The admin of notices, digests and department robots."""

from __future__ import annotations

import datetime as dt

import pytest

from portfolio.models import Department, District, Sector
from projects.alerts.choices import DigestStatus
from projects.alerts.delivery import deadlines_scan, digests_prepare
from projects.alerts.models import DepartmentWebhook, Digest, Notice
from tests.factories import ProjectFactory, YearRecordFactory


@pytest.fixture
def scanned(plan, supervisor, district_supervisor, clerk_bazhou, administrator):
    YearRecordFactory(
        project=ProjectFactory(
            district=District.objects.get(code="nanjiang"),
            sector=Sector.objects.get(code="tourism"),
        ),
        year=2025,
        due_date=dt.date(2025, 12, 20),
    )
    deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)


def test_admin_lists_own_notices_and_marks_read(scanned, clerk_bazhou, client):
    client.force_login(clerk_bazhou)
    page = client.get("/admin/alerts/notice/", {"resolved": "no"})
    assert page.status_code == 200
    assert "年度报告截止提醒" in page.content.decode()
    notice = clerk_bazhou.notices.first()
    response = client.post(
        "/admin/alerts/notice/",
        {"action": "mark_read", "_selected_action": [notice.pk]},
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.read


def test_supervisor_admin_sees_scope(scanned, district_supervisor, client):
    client.force_login(district_supervisor)
    page = client.get("/admin/alerts/notice/")
    assert page.status_code == 200
    # Their own notices, and everybody's about 南江县 projects; nothing else.
    in_scope = Notice.objects.filter(project__district__code="nanjiang")
    own = Notice.objects.filter(recipient=district_supervisor)
    assert page.context["cl"].result_count == (in_scope | own).count()
    assert in_scope.exclude(recipient=district_supervisor).exists()
    assert Notice.objects.exclude(project__district__code="nanjiang").exists()


def test_administrator_configures_a_department_robot(administrator, client):
    client.force_login(administrator)
    department = Department.objects.get(code="pingchang-gov")
    response = client.post(
        "/admin/alerts/departmentwebhook/add/",
        {
            "department": department.pk,
            "name": "平昌县项目调度群",
            "kind": "wecom",
            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
            "secret": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    robot = DepartmentWebhook.objects.get(department=department)
    assert robot.get_kind_display() == "企业微信群机器人"


def test_clerk_cannot_configure_robots(clerk_bazhou, client):
    client.force_login(clerk_bazhou)
    assert client.get("/admin/alerts/departmentwebhook/add/").status_code == 403


def test_delivery_log_resends_pending_digests_after_commit(
    scanned, administrator, client, django_capture_on_commit_callbacks
):
    digests_prepare()
    pending = Digest.objects.filter(status=DigestStatus.PENDING)
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/admin/alerts/digest/",
            {
                "action": "deliver_again",
                "_selected_action": list(pending.values_list("pk", flat=True)),
            },
        )
    assert response.status_code == 302
    assert len(callbacks) == pending.count() > 0
    page = client.get("/admin/alerts/digest/")
    assert page.status_code == 200 and "待发送" in page.content.decode()
