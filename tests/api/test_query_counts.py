"""Every list costs the same number of SQL queries whatever the page size."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portfolio.choices import AuditAction
from portfolio.models import AuditEntry, Cluster, Tombstone
from projects import services
from projects.models import Project
from tests.factories import admin_actor

pytestmark = pytest.mark.django_db

LISTS = [
    ("/api/v1/districts/", {}),
    ("/api/v1/sectors/", {}),
    ("/api/v1/clusters/", {}),
    ("/api/v1/clusters/", {"district": "bazhou,nanjiang"}),
    ("/api/v1/departments/", {}),
    ("/api/v1/indicators/", {}),
    ("/api/v1/projects/", {}),
    ("/api/v1/projects/", {"district": "bazhou", "overdue": "true", "year": "2025"}),
    ("/api/v1/year-records/", {}),
    ("/api/v1/year-records/", {"sector": "tourism", "state": "draft"}),
    ("/api/v1/deletions/", {}),
    ("/api/v1/projects/t1-002/history/", {}),
    ("/api/v1/year-records/{record}/history/", {}),
]


@pytest.fixture
def busy_portfolio(plan):
    """Enough of everything that a page of 50 differs from a page of 1."""
    clusters = list(Cluster.objects.all()[:3])
    for code in ("t1-001", "t1-002", "t3-001"):
        services.project_update(
            project=Project.objects.get(code=code),
            actor=admin_actor(),
            data={"clusters": clusters},
        )
    project = Project.objects.get(code="t1-002")
    record = project.year_records.order_by("year").first()
    for instance in (project, record):
        AuditEntry.objects.bulk_create(
            AuditEntry(
                content_type=ContentType.objects.get_for_model(instance),
                object_id=str(instance.pk),
                object_repr=str(instance),
                action=AuditAction.UPDATE,
                actor_label="tests",
                changes={"content": ["", str(n)]},
            )
            for n in range(60)
        )
    Tombstone.objects.bulk_create(
        Tombstone(
            model="projects.project",
            object_id=str(10_000 + n),
            object_code=f"t3-gone{n}",
            district_id=project.district_id,
            deleted_at=timezone.now(),
        )
        for n in range(60)
    )
    return record.pk


@pytest.mark.parametrize(("path", "params"), LISTS)
def test_list_query_count_does_not_depend_on_page_size(
    path, params, busy_portfolio, reader, django_assert_num_queries
):
    path = path.format(record=busy_portfolio)
    reader.get(path)  # warm up: credentials' last use is written at most once
    counts = {}
    for size in (1, 50, 500):
        with CaptureQueriesContext(connection) as queries:
            response = reader.get(path, {**params, "page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, response.json()["count"])
        counts[size] = len(queries)
    if path.endswith("/history/"):
        # A history page reads the labels and names its rows need: one query per
        # kind of object and per related model named on the page (a project, its
        # year records, the clusters it names), never one per row. A page of one
        # row names fewer kinds than a page of 500, so the bound is on the kinds.
        kinds = 3
        assert counts[1] <= counts[50] <= counts[500] <= counts[1] + kinds, counts
        with django_assert_num_queries(counts[500]):
            reader.get(path, {**params, "page_size": 500})
        return
    with django_assert_num_queries(counts[1]):
        reader.get(path, {**params, "page_size": 50})
    with django_assert_num_queries(counts[1]):
        reader.get(path, {**params, "page_size": 500})
    assert counts[1] == counts[50] == counts[500], counts
