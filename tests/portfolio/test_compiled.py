"""Queries compiled once (``portfolio.compiled``) answer what their queryset answers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portfolio.choices import ApiScope
from portfolio.compiled import CompiledQuery
from portfolio.credentials import api_client_create, api_client_for_token
from portfolio.models import Cluster, Department
from portfolio.selectors import Scope, scope_of_departments
from projects import services
from projects.api.serializers import attach_clusters
from projects.api.views import project_decorate, project_detail_row, project_queryset
from projects.models import Project
from tests.factories import admin_actor

pytestmark = pytest.mark.django_db


def test_rows_are_those_of_the_queryset_for_each_value(plan):
    queryset = Project.objects.filter(code="\x00code").values("code", "updated_at")
    compiled = CompiledQuery(queryset, code="\x00code")
    for code in ("t1-001", "t7-003", "nope"):
        expected = list(Project.objects.filter(code=code).values("code", "updated_at"))
        assert compiled.rows(code=code) == expected


def test_a_marker_must_appear_once():
    with pytest.raises(ImproperlyConfigured):
        CompiledQuery(Project.objects.values("code"), code="\x00absent")


@pytest.mark.parametrize("year", [2024, 2026])
def test_a_detail_is_the_decorated_row_with_its_clusters(plan, year):
    project = Project.objects.get(code="t1-003")
    services.project_update(
        project=project,
        actor=admin_actor(),
        data={"clusters": list(Cluster.objects.order_by("-number")[:2])},
    )
    today = timezone.localdate()
    scope = Scope(True)
    row = project_detail_row(scope, "t1-003", year=year, today=today)
    expected = project_decorate(
        project_queryset(scope).filter(code="t1-003"), year=year, today=today
    ).get()
    attach_clusters([expected])
    attach_clusters([row])
    row.pop("cluster_list", None)
    assert row == expected
    assert [c["code"] for c in row["clusters"]] == list(
        Cluster.objects.order_by("number")
        .filter(projects=project)
        .values_list("code", flat=True)
    )
    # The compiled SQL is reused; the data is read afresh each time.
    services.project_update(
        project=project, actor=admin_actor(), data={"name": "改名后"}
    )
    assert project_detail_row(scope, "t1-003", year=year, today=today)["name"] == (
        "改名后"
    )


def test_a_detail_keeps_to_the_callers_scope(plan):
    today = timezone.localdate()
    scope = scope_of_departments([Department.objects.get(code="bazhou-gov")])
    inside = Project.objects.filter(district__code="bazhou").first()
    outside = Project.objects.exclude(district__code="bazhou").exclude(
        sector_id__in=scope.sector_ids
    )[0]
    assert project_detail_row(scope, inside.code, year=2026, today=today)
    assert project_detail_row(scope, outside.code, year=2026, today=today) is None
    assert project_detail_row(Scope(True), outside.code, year=2026, today=today)


def test_a_token_lookup_is_one_query_and_sees_a_revocation_at_once(plan):
    from portfolio.credentials import api_client_revoke

    client, token = api_client_create(
        name="编译测试", scope=ApiScope.READ, actor="tests"
    )
    with CaptureQueriesContext(connection) as queries:
        found = api_client_for_token(token)
    assert len(queries) == 1
    assert found.pk == client.pk and found.revoked_at is None
    assert found._state.adding is False
    assert api_client_for_token(token + "x") is None
    api_client_revoke(client=client, actor="tests")
    assert api_client_for_token(token).revoked_at is not None
