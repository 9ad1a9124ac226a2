"""The one authorization rule: people, tokens and system processes (issue 13)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from indicators import services as indicator_services
from indicators.models import Indicator
from portfolio.authorization import authorize, principal_of
from portfolio.choices import ApiScope, AuditAction, Role
from portfolio.credentials import api_client_create
from portfolio.models import AuditEntry, Cluster, Department
from projects import services
from projects.models import Project
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _token(scope="write", role=Role.CLERK, departments=("bazhou-gov",)):
    client, _ = api_client_create(
        name=f"授权测试 {scope} {role} {'-'.join(departments)}",
        scope=ApiScope(scope),
        role=role,
        departments=list(Department.objects.filter(code__in=departments)),
        actor="命令 tests",
    )
    return client


@pytest.fixture
def bazhou_project():
    return Project.objects.get(code="t1-001")  # 巴州区, tourism


def test_a_token_is_a_principal_with_its_role_and_scope(bazhou_project):
    principal = principal_of(_token(role=Role.SUPERVISOR))
    assert principal.roles == {Role.SUPERVISOR}
    assert principal.scope.covers_project(bazhou_project)
    assert not principal.scope.covers_project(Project.objects.get(code="t1-009"))
    assert principal.label.startswith("API 客户端")


def test_a_token_is_a_clerk_unless_given_another_role(bazhou_project):
    client, _ = api_client_create(
        name="默认角色", scope=ApiScope.WRITE, actor="命令 tests"
    )
    assert client.role == Role.CLERK
    authorize(actor=client, role=Role.CLERK, project=bazhou_project)
    with pytest.raises(PermissionDenied, match="督查员"):
        authorize(actor=client, role=Role.SUPERVISOR, project=bazhou_project)


def test_a_system_process_acts_only_in_a_system_job(bazhou_project):
    with pytest.raises(PermissionDenied, match="系统进程"):
        authorize(actor="定时任务 x", role=Role.CLERK, project=bazhou_project)
    with pytest.raises(PermissionDenied, match="系统进程"):
        authorize(actor=None, role=Role.SUPERVISOR, project=bazhou_project)
    assert (
        authorize(actor="定时任务 x", role=Role.ADMINISTRATOR, system_job=True) is None
    )


def test_read_only_credentials_never_write(bazhou_project):
    client = _token(scope="read", role=Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied, match="只读"):
        authorize(actor=client, role=Role.CLERK, project=bazhou_project)


@pytest.mark.parametrize("kind", ["person", "token"])
def test_scope_then_role_for_people_and_tokens_alike(kind, bazhou_project):
    outside = Project.objects.get(code="t1-009")  # 南江县
    if kind == "person":
        actor = UserFactory.clerk(["bazhou-gov"], username="授权-clerk")
    else:
        actor = _token()
    authorize(actor=actor, role=Role.CLERK, project=bazhou_project)
    with pytest.raises(PermissionDenied, match="负责范围"):
        authorize(actor=actor, role=Role.CLERK, project=outside)
    with pytest.raises(PermissionDenied, match="督查员"):
        authorize(actor=actor, role=Role.SUPERVISOR, project=bazhou_project)


def test_an_administrator_token_keeps_its_departments_scope(bazhou_project):
    client = _token(role=Role.ADMINISTRATOR)
    authorize(actor=client, role=Role.SUPERVISOR, project=bazhou_project)
    with pytest.raises(PermissionDenied):
        authorize(
            actor=client, role=Role.CLERK, project=Project.objects.get(code="t1-009")
        )


def test_the_audit_trail_names_the_token(bazhou_project):
    client = _token()
    services.project_update(
        project=bazhou_project,
        actor=client,
        data={"clusters": list(Cluster.objects.filter(code="c01"))},
    )
    entry = AuditEntry.objects.filter(object_id=str(bazhou_project.pk)).first()
    assert entry.api_client == client and entry.actor is None
    assert entry.actor_label == client.actor_label
    assert principal_of(client).wrote(entry)
    assert not principal_of(_token(role=Role.SUPERVISOR)).wrote(entry)


def test_legacy_rows_signed_by_label_still_count(bazhou_project):
    """Before tokens were principals, their rows carried only the label."""
    client = _token()
    entry = AuditEntry(actor_label=client.actor_label, action=AuditAction.SUBMIT)
    assert principal_of(client).wrote(entry)
    person = UserFactory.supervisor(username="授权-boss")
    assert not principal_of(person).wrote(entry)


def test_an_administrator_token_deletes_only_within_its_scope():
    client = _token(role=Role.ADMINISTRATOR)  # 巴州区人民政府
    outside = Project.objects.get(code="t1-009")
    with pytest.raises(PermissionDenied, match="负责范围"):
        services.project_delete(project=outside, actor=client, reason="越权")
    assert Project.objects.filter(pk=outside.pk).exists()
    services.project_delete(
        project=Project.objects.get(code="t1-002"), actor=client, reason="重复"
    )
    assert not Project.objects.filter(code="t1-002").exists()
    with pytest.raises(PermissionDenied, match="管理员"):
        services.project_delete(
            project=Project.objects.get(code="t1-001"), actor=_token(), reason="x"
        )


def test_a_token_reports_only_its_departments_indicators():
    retail = Indicator.objects.get(code="retail-sales-growth")  # 商务局
    with pytest.raises(PermissionDenied, match="不由您所在单位负责"):
        indicator_services.indicator_value_create(
            indicator=retail, year=2025, actor=_token(), data={}
        )
    commerce = _token(departments=("commerce-bureau",))
    value = indicator_services.indicator_value_create(
        indicator=retail, year=2025, actor=commerce, data={}
    )
    assert value.department.code == "commerce-bureau"
