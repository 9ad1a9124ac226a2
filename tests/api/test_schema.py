"""The OpenAPI schema at /api/schema/ describes what the API really answers.

Every operation in the schema is called for real (successes and the errors it
documents) and each JSON body is validated against the schema of its status
code — strictly: an object may not carry a property the schema does not name.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from projects import services
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.callers import token_caller

pytestmark = pytest.mark.django_db


def _strict(node: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: ``nullable``, and no undeclared properties."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def openapi(reader) -> dict:
    response = reader.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@dataclass
class Call:
    method: str
    template: str  # as in the schema
    url: str
    status: int
    body: dict | None = None
    caller: str = "writer"
    headers: dict[str, str] = field(default_factory=dict)


def _calls() -> list[Call]:
    year_record = YearRecord.objects.filter(project__code="t1-001").order_by("-year")[0]
    services.year_record_update(
        record=year_record,
        actor="tests",
        data={"phase": Phase.UNDER_CONSTRUCTION, "percent_complete": Decimal("20")},
    )
    submitted = YearRecord.objects.filter(project__code="t1-002").order_by("-year")[0]
    services.year_record_update(
        record=submitted, actor="tests", data={"phase": Phase.PREPARING}
    )
    services.year_record_submit(record=submitted, actor="tests")
    to_return = YearRecord.objects.filter(project__code="t1-003").order_by("-year")[0]
    services.year_record_update(
        record=to_return, actor="tests", data={"phase": Phase.PREPARING}
    )
    services.year_record_submit(record=to_return, actor="tests")
    approved = YearRecord.objects.filter(project__code="t1-004").order_by("-year")[0]
    services.year_record_update(
        record=approved, actor="tests", data={"phase": Phase.PREPARING}
    )
    services.year_record_submit(record=approved, actor="tests")
    services.year_record_approve(record=approved, actor="tests")
    services.project_delete(project=Project.objects.get(code="t1-010"), actor="tests")

    rid = year_record.pk
    records = "/api/v1/year-records/{id}/"
    calls = []
    for name, key in [
        ("districts", "bazhou"),
        ("sectors", "tourism"),
        ("clusters", "c01"),
        ("departments", "bazhou-gov"),
        ("indicators", "service-share-of-gdp"),
        ("projects", "t1-001"),
    ]:
        calls += [
            Call("get", f"/api/v1/{name}/", f"/api/v1/{name}/", 200),
            Call("get", f"/api/v1/{name}/", f"/api/v1/{name}/", 401, caller="nobody"),
            Call("get", f"/api/v1/{name}/{{code}}/", f"/api/v1/{name}/{key}/", 200),
            Call("get", f"/api/v1/{name}/{{code}}/", f"/api/v1/{name}/nope/", 404),
        ]
    calls += [
        Call("get", "/api/v1/projects/", "/api/v1/projects/?district=nowhere", 400),
        Call("get", "/api/v1/year-records/", "/api/v1/year-records/", 200),
        Call("get", "/api/v1/year-records/", "/api/v1/year-records/?year=x", 400),
        Call("get", records, f"/api/v1/year-records/{rid}/", 200),
        Call("get", records, "/api/v1/year-records/0/", 404),
        Call("get", "/api/v1/deletions/", "/api/v1/deletions/", 200),
        # A system's token receives no notices; a person's are tested elsewhere.
        Call("get", "/api/v1/notices/", "/api/v1/notices/", 200),
        Call("get", "/api/v1/notices/{id}/", "/api/v1/notices/1/", 404),
        Call("post", "/api/v1/notices/{id}/read/", "/api/v1/notices/1/read/", 404),
        Call(
            "post",
            "/api/v1/notices/{id}/read/",
            "/api/v1/notices/1/read/",
            403,
            caller="reader",
        ),
        # The dashboard is for people signed in to the admin, not for tokens.
        Call("get", "/api/v1/dashboard/", "/api/v1/dashboard/", 403, caller="reader"),
        Call(
            "get",
            "/api/v1/projects/{code}/history/",
            "/api/v1/projects/t1-001/history/",
            200,
        ),
        Call("get", records + "history/", f"/api/v1/year-records/{rid}/history/", 200),
        Call(
            "patch",
            "/api/v1/projects/{code}/",
            "/api/v1/projects/t1-001/",
            200,
            {"content": "新的建设内容"},
        ),
        Call(
            "patch",
            "/api/v1/projects/{code}/",
            "/api/v1/projects/t1-001/",
            403,
            {"content": "x"},
            caller="reader",
        ),
        Call(
            "patch",
            "/api/v1/projects/{code}/",
            "/api/v1/projects/t1-001/",
            400,
            {"start_year": 2030, "end_year": 2020},
        ),
        Call(
            "post",
            "/api/v1/projects/{code}/phase/",
            "/api/v1/projects/t1-006/phase/",
            200,
            {"phase": "under_construction"},
        ),
        Call(
            "post",
            "/api/v1/projects/{code}/phase/",
            "/api/v1/projects/t1-002/phase/",
            409,
            {"phase": "under_construction"},
        ),
        Call("patch", records, f"/api/v1/year-records/{rid}/", 200, {"progress": "好"}),
        Call(
            "patch",
            records,
            f"/api/v1/year-records/{rid}/",
            412,
            {"progress": "旧"},
            headers={"If-Match": '"1"'},
        ),
        Call(
            "patch",
            records,
            f"/api/v1/year-records/{rid}/",
            400,
            {"percent_complete": "150"},
        ),
        Call("post", records + "submit/", f"/api/v1/year-records/{rid}/submit/", 200),
        Call(
            "post",
            records + "submit/",
            f"/api/v1/year-records/{submitted.pk}/submit/",
            409,
        ),
        Call(
            "post",
            records + "approve/",
            f"/api/v1/year-records/{submitted.pk}/approve/",
            200,
        ),
        Call(
            "post",
            records + "return/",
            f"/api/v1/year-records/{to_return.pk}/return/",
            400,
            {},
        ),
        Call(
            "post",
            records + "return/",
            f"/api/v1/year-records/{to_return.pk}/return/",
            200,
            {"reason": "数据不全"},
        ),
        Call(
            "post",
            records + "reopen/",
            f"/api/v1/year-records/{approved.pk}/reopen/",
            200,
            {"reason": "更正"},
        ),
    ]
    return calls


def test_every_operation_answers_what_the_schema_says(openapi, reader, writer):
    callers = {"reader": reader, "writer": writer, "nobody": token_caller()}
    callers["nobody"].credentials()
    calls = _calls()
    documented = {
        (method, path)
        for path, operations in openapi["paths"].items()
        for method in operations
        if method in ("get", "post", "patch", "put", "delete")
    }
    exercised = {(c.method, c.template) for c in calls}
    assert documented == exercised, documented ^ exercised
    components = _strict(openapi["components"])
    for call in calls:
        kwargs = {
            f"HTTP_{k.upper().replace('-', '_')}": v for k, v in call.headers.items()
        }
        response = getattr(callers[call.caller], call.method)(
            call.url, call.body, format="json", **kwargs
        )
        assert response.status_code == call.status, (call, response.content[:300])
        responses = openapi["paths"][call.template][call.method]["responses"]
        assert str(call.status) in responses, f"{call} not documented"
        content = responses[str(call.status)]["content"]
        assert "application/json" in content
        schema = copy.deepcopy(_strict(content["application/json"]["schema"]))
        validator = Draft202012Validator({**schema, "components": components})
        errors = sorted(validator.iter_errors(response.json()), key=str)
        assert not errors, (call, [e.message for e in errors[:5]])


def test_lists_document_their_exports(openapi):
    for path, operations in openapi["paths"].items():
        if path.endswith("/history/") or "{" in path or "get" not in operations:
            continue
        if path == "/api/v1/dashboard/":  # a summary, not a list
            continue
        content = operations["get"]["responses"]["200"]["content"]
        assert "text/csv" in content, path
        assert (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            in content
        ), path


def test_docs_page_is_served(reader):
    response = reader.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger" in body.lower()
    # Served from our own static files, not from a CDN: offices may be offline.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in body
    assert "cdn" not in body.lower()
