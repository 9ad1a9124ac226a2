"""Who may see, change, submit and approve what: the matrix, services and admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portfolio.choices import ReviewState
from projects import services
from projects.choices import Phase
from projects.models import YearRecord
from projects.selectors import projects_for

pytestmark = pytest.mark.django_db

# t1-001: 巴州区, tourism. t6-009: 平昌县, education. t1-009: 南江县, tourism.
PROJECTS = ["t1-001", "t6-009", "t1-009"]

# (user fixture, project) -> set of what the user may do
MATRIX = {
    "clerk_bazhou": {
        "t1-001": {"view", "change", "submit"},
        "t6-009": set(),
        "t1-009": set(),
    },
    "clerk_education": {
        "t1-001": set(),
        "t6-009": {"view", "change", "submit"},
        "t1-009": set(),
    },
    "supervisor": {code: {"view", "approve"} for code in PROJECTS},
    "district_supervisor": {
        "t1-001": set(),
        "t6-009": set(),
        "t1-009": {"view", "approve"},
    },
    "administrator": {
        code: {"view", "change", "submit", "approve"} for code in PROJECTS
    },
}

CASES = [
    (who, code, what)
    for who, row in MATRIX.items()
    for code in PROJECTS
    for what in ("view", "change", "submit", "approve")
]


def prepared_record(code: str, state: ReviewState) -> YearRecord:
    record = YearRecord.objects.select_related("project").get(
        project__code=code, year=2026
    )
    YearRecord.objects.filter(pk=record.pk).update(
        state=state, phase=Phase.UNDER_CONSTRUCTION, percent_complete=Decimal("30")
    )
    record.refresh_from_db()
    return record


@pytest.mark.parametrize(("who", "code", "what"), CASES)
def test_matrix(request, who, code, what):
    user = request.getfixturevalue(who)
    expected = what in MATRIX[who][code]
    if what == "view":
        assert projects_for(user).filter(code=code).exists() is expected
        return
    state = ReviewState.SUBMITTED if what == "approve" else ReviewState.DRAFT
    record = prepared_record(code, state)
    call = {
        "change": lambda: services.year_record_update(
            record=record, actor=user, data={"progress": "矩阵测试"}
        ),
        "submit": lambda: services.year_record_submit(record=record, actor=user),
        "approve": lambda: services.year_record_approve(record=record, actor=user),
    }[what]
    if expected:
        call()
    else:
        with pytest.raises(PermissionDenied):
            call()
        after = YearRecord.objects.get(pk=record.pk)
        assert (after.state, after.progress, after.version) == (
            record.state,
            record.progress,
            record.version,
        )


def test_clerk_changelist_shows_only_own_projects(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    response = client.get(reverse("admin:projects_project_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 40  # the 40 projects of 巴州区
    names = {p.name for p in response.context["cl"].result_list}
    assert "光雾山旅游景区基础设施建设" not in names  # 南江县


def test_bureau_clerk_sees_its_sector_everywhere(client, clerk_education):
    client.force_login(clerk_education)
    response = client.get(reverse("admin:projects_project_changelist"))
    assert response.context["cl"].result_count == 15  # 表6


@pytest.mark.parametrize(
    "page", ["projects_project_change", "projects_yearrecord_change"]
)
def test_guessing_another_departments_url(client, clerk_bazhou, page):
    client.force_login(clerk_bazhou)
    record = YearRecord.objects.get(project__code="t1-009", year=2026)
    pk = record.project_id if page == "projects_project_change" else record.pk
    response = client.get(reverse(f"admin:{page}", args=[pk]), follow=True)
    assert "光雾山旅游景区基础设施建设" not in response.content.decode()
    assert response.redirect_chain  # sent away, not shown


def test_admin_year_record_page_is_chinese(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    record = YearRecord.objects.get(project__code="t1-001", year=2026)
    response = client.get(reverse("admin:projects_yearrecord_change", args=[record.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    for label in ("完成投资（万元）", "形象进度（%）", "年度阶段", "变更记录", "保存"):
        assert label in body
