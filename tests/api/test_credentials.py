"""API credentials: issued once, stored hashed, expire, revoke, record their use."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from portfolio.choices import ApiScope, Role
from portfolio.credentials import api_client_create, api_client_revoke
from portfolio.models import ApiClient, AuditEntry

pytestmark = pytest.mark.django_db


def _issue(*args) -> tuple[ApiClient, str]:
    out = StringIO()
    call_command("create_api_client", *args, stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    return ApiClient.objects.get(name=args[0]), token


def _caller(token: str) -> APIClient:
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return caller


def test_command_prints_the_token_once_and_stores_its_hash(plan):
    client, token = _issue("ERP", "--scope", "write")
    assert re.fullmatch(r"bzk_[-\w]{40,}", token)
    assert client.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiClient.objects.filter(pk=client.pk).values().get())
    assert client.token_prefix == token[:12]
    assert client.scope == "write" and client.departments.count() == 0
    assert _caller(token).get("/api/v1/projects/").status_code == 200
    entry = AuditEntry.objects.filter(
        content_type__model="apiclient", object_id=str(client.pk)
    ).get()
    assert entry.actor_label == "命令 create_api_client"


def test_command_with_departments_limits_reach(plan):
    _, token = _issue(
        "教育局系统", "--scope", "read", "--department", "education-bureau"
    )
    rows = _caller(token).get("/api/v1/projects/", {"page_size": 500}).json()
    assert rows["count"] > 0
    assert {r["sector"] for r in rows["results"]} == {"education"}


def test_command_refuses_unknown_department_and_duplicate_name(plan):
    with pytest.raises(CommandError, match="nowhere"):
        _issue("X", "--department", "nowhere")
    _issue("Y")
    with pytest.raises(CommandError, match="已存在"):
        _issue("Y")


def test_revoked_token_is_401(plan):
    client, token = _issue("旧系统")
    api_client_revoke(client=client, actor="tests")
    response = _caller(token).get("/api/v1/districts/")
    assert response.status_code == 401
    assert response.json()["detail"] == "该令牌已被吊销。"


def test_expired_token_is_401(plan):
    client, token = _issue("临时系统", "--expires-in-days", "1")
    assert _caller(token).get("/api/v1/districts/").status_code == 200
    ApiClient.objects.filter(pk=client.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = _caller(token).get("/api/v1/districts/")
    assert response.status_code == 401
    assert response.json()["detail"] == "该令牌已过期。"


def test_last_used_is_recorded(plan):
    client, token = _issue("监测系统")
    assert client.last_used_at is None
    before = timezone.now()
    _caller(token).get("/api/v1/districts/")
    client.refresh_from_db()
    assert client.last_used_at >= before


def test_malformed_authorization_header_is_401(plan):
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION="Token a b")
    assert caller.get("/api/v1/districts/").status_code == 401


def test_admin_issues_token_once_and_revokes(administrator, client):
    client.force_login(administrator)
    response = client.post(
        "/admin/portfolio/apiclient/add/",
        {
            "name": "审计系统",
            "scope": "read",
            "role": "clerk",
            "expires_at_0": "",
            "expires_at_1": "",
        },
        follow=True,
    )
    # The token is on the page that answers the POST: no redirect, nothing kept
    # for the next page (it travelled in the ``messages`` cookie before).
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    api_client = ApiClient.objects.get(name="审计系统")
    page = response.content.decode()
    token = re.search(r'<code id="issued-token"[^>]*>(bzk_[-\w]+)</code>', page)[1]
    assert "令牌只显示这一次" in page
    assert api_client.token_hash == hashlib.sha256(token.encode()).hexdigest()
    for morsel in response.cookies.values():
        assert token not in morsel.OutputString()
    assert "messages" not in response.cookies
    assert token not in str(dict(client.session))
    # Nor does the next page (the old messages framework would show it there).
    assert token not in client.get("/admin/").content.decode()
    # The change page never shows the token again.
    page = client.get(f"/admin/portfolio/apiclient/{api_client.pk}/change/")
    assert token not in page.content.decode()
    assert api_client.token_prefix in page.content.decode()
    client.post(
        "/admin/portfolio/apiclient/",
        {"action": "revoke", "_selected_action": [api_client.pk]},
    )
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    assert _caller(token).get("/api/v1/districts/").status_code == 401


# -- the token's role (issue 13) -----------------------------------------------------


def test_a_token_is_a_clerk_unless_the_administrator_says_otherwise(plan):
    clerk, _ = _issue("默认系统", "--scope", "write")
    assert clerk.role == "clerk"
    out = StringIO()
    call_command(
        "create_api_client",
        "督查系统",
        "--scope",
        "write",
        "--role",
        "supervisor",
        stdout=out,
    )
    assert "角色：督查员" in out.getvalue()
    boss = ApiClient.objects.get(name="督查系统")
    assert boss.role == "supervisor"
    entry = AuditEntry.objects.get(
        content_type__model="apiclient", object_id=str(boss.pk)
    )
    assert entry.changes["role"] == [None, "supervisor"]
    with pytest.raises(CommandError):
        _issue("越权系统", "--role", "boss")


def test_the_admin_gives_a_token_the_supervisor_role(administrator, client):
    client.force_login(administrator)
    page = client.get("/admin/portfolio/apiclient/add/")
    assert page.context["adminform"].form.fields["role"].initial == "clerk"
    client.post(
        "/admin/portfolio/apiclient/add/",
        {
            "name": "审核系统",
            "scope": "write",
            "role": "supervisor",
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert ApiClient.objects.get(name="审核系统").role == "supervisor"


def test_only_an_administrator_issues_tokens(supervisor):
    with pytest.raises(PermissionDenied):
        api_client_create(
            name="自封系统",
            scope=ApiScope.WRITE,
            role=Role.SUPERVISOR,
            actor=supervisor,
        )
    assert not ApiClient.objects.filter(name="自封系统").exists()
