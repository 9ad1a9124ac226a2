"""Who may see, change, submit, approve and move what: the matrix, services, admin.

The same matrix holds for people and for API tokens: a token is a principal
with a role (clerk unless given another) and its departments' scope, checked by
the same rules (``portfolio.authorization``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portfolio.choices import ApiScope, ReviewState, Role
from portfolio.credentials import api_client_create
from portfolio.models import ApiClient, Department, District
from portfolio.selectors import api_client_scope
from projects import services
from projects.choices import Phase
from projects.models import Project, YearRecord
from projects.selectors import projects_for

pytestmark = pytest.mark.django_db

# t1-001: 巴州区, tourism. t6-009: 平昌县, education. t1-009: 南江县, tourism.
PROJECTS = ["t1-001", "t6-009", "t1-009"]

# (user or token fixture, project) -> set of what it may do. "move": give the
# project another district (with a reason), a supervisor's act over both places.
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
    "supervisor": {code: {"view", "approve", "move"} for code in PROJECTS},
    "district_supervisor": {
        "t1-001": set(),
        "t6-009": set(),
        "t1-009": {"view", "approve"},
    },
    "administrator": {
        code: {"view", "change", "submit", "approve", "move"} for code in PROJECTS
    },
    # Tokens: the same rows as the people of the same role and scope.
    "token_clerk_bazhou": {
        "t1-001": {"view", "change", "submit"},
        "t6-009": set(),
        "t1-009": set(),
    },
    "token_clerk_education": {
        "t1-001": set(),
        "t6-009": {"view", "change", "submit"},
        "t1-009": set(),
    },
    "token_supervisor": {code: {"view", "approve", "move"} for code in PROJECTS},
    "token_district_supervisor": {
        "t1-001": set(),
        "t6-009": set(),
        "t1-009": {"view", "approve"},
    },
    "token_administrator": {
        code: {"view", "change", "submit", "approve", "move"} for code in PROJECTS
    },
    # A read token sees, and never writes, whatever its role says.
    "read_token_supervisor": {code: {"view"} for code in PROJECTS},
}

ACTS = ("view", "change", "submit", "approve", "move")
CASES = [
    (who, code, what)
    for who, row in MATRIX.items()
    for code in PROJECTS
    for what in ACTS
]


def _token(name, scope, role, departments=()):
    client, _token = api_client_create(
        name=name,
        scope=ApiScope(scope),
        role=Role(role),
        departments=list(Department.objects.filter(code__in=departments)),
        actor="命令 tests",
    )
    return client


@pytest.fixture
def token_clerk_bazhou(db):
    return _token("矩阵 填报员凭据", "write", "clerk", ["bazhou-gov"])


@pytest.fixture
def token_clerk_education(db):
    return _token("矩阵 教育局凭据", "write", "clerk", ["education-bureau"])


@pytest.fixture
def token_supervisor(db):
    return _token("矩阵 督查员凭据", "write", "supervisor")


@pytest.fixture
def token_district_supervisor(db):
    return _token("矩阵 南江督查凭据", "write", "supervisor", ["nanjiang-gov"])


@pytest.fixture
def token_administrator(db):
    return _token("矩阵 管理员凭据", "write", "administrator")


@pytest.fixture
def read_token_supervisor(db):
    return _token("矩阵 只读督查凭据", "read", "supervisor")


def _visible(actor):
    scope = api_client_scope(actor) if isinstance(actor, ApiClient) else actor
    return projects_for(scope)


def _move(code: str, actor):
    project = Project.objects.get(code=code)
    elsewhere = District.objects.exclude(pk=project.district_id).order_by("order")[0]
    return services.project_update(
        project=project,
        actor=actor,
        data={"district_id": elsewhere.pk},
        reason="矩阵测试",
    )


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
        assert _visible(user).filter(code=code).exists() is expected
        return
    if what == "move":
        before = Project.objects.get(code=code)
        if expected:
            assert _move(code, user).district_id != before.district_id
        else:
            with pytest.raises(PermissionDenied):
                _move(code, user)
            after = Project.objects.get(code=code)
            assert (after.district_id, after.version) == (
                before.district_id,
                before.version,
            )
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
