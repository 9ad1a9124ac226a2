"""Errors are JSON everywhere under /api/; limits: page size and throttling."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from portfolio.api.exceptions import handler404, handler500
from tests.callers import token_caller

pytestmark = pytest.mark.django_db


def test_unknown_address_under_api_is_json_404(reader, client):
    for path in ("/api/v1/nothing-here/", "/api/v1/projects/t1-001/nothing/"):
        response = reader.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "not_found"
    assert client.get("/api/elsewhere/").json()["code"] == "not_found"


def test_server_error_under_api_is_json():
    request = RequestFactory().get("/api/v1/projects/")
    response = handler500(request)
    assert response.status_code == 500
    assert b'"server_error"' in response.content
    other = handler404(RequestFactory().get("/admin/x/"), None)
    assert other["Content-Type"].startswith("text/html")


def test_method_not_allowed_is_json(writer):
    response = writer.put("/api/v1/projects/t1-001/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_malformed_json_is_400(writer):
    response = writer.generic(
        "PATCH",
        "/api/v1/projects/t1-001/",
        "{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_page_size_is_capped_at_500(reader):
    body = reader.get("/api/v1/year-records/", {"page_size": 5000}).json()
    assert body["count"] > 500
    assert len(body["results"]) == 500


def test_bad_page_is_json_404(reader):
    response = reader.get("/api/v1/projects/", {"page": 999})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@override_settings(API_THROTTLE_RATE="3/minute")
def test_throttling_is_per_client(plan):
    first, second = token_caller(), token_caller()
    for _ in range(3):
        assert first.get("/api/v1/districts/").status_code == 200
    refused = first.get("/api/v1/districts/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert refused.json()["retry_after"] > 0
    assert int(refused["Retry-After"]) > 0
    assert second.get("/api/v1/districts/").status_code == 200


@override_settings(API_WRITE_THROTTLE_RATE="1/minute")
def test_writes_have_their_own_tighter_limit(plan):
    writer = token_caller("write")
    url = "/api/v1/projects/t1-001/"
    first, second = {"clusters": ["c01"]}, {"clusters": ["c02"]}
    assert writer.patch(url, first, format="json").status_code == 200
    assert writer.patch(url, second, format="json").status_code == 429
    assert writer.get(url).status_code == 200
