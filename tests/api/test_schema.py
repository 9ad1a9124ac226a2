"""The OpenAPI schema at /api/schema/ describes what the API really answers.

Every operation in the schema is called for real (successes and the errors it
documents) and each JSON body is validated against the schema of its status
code — strictly: an object may not carry a property the schema does not name.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from projects import adjustments as adjust
from projects import services
from projects.choices import AdjustmentKind, Phase
from projects.models import Project, YearRecord
from tests.callers import token_caller
from tests.factories import admin_actor, reviewer

pytestmark = pytest.mark.django_db


def _strict(node: Any) -> Any:
    """OpenAPI 3.1 (JSON Schema 2020-12), with no undeclared properties."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
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
        actor=admin_actor(),
        data={"phase": Phase.UNDER_CONSTRUCTION, "percent_complete": Decimal("20")},
    )
    submitted = YearRecord.objects.filter(project__code="t1-002").order_by("-year")[0]
    services.year_record_update(
        record=submitted, actor=admin_actor(), data={"phase": Phase.PREPARING}
    )
    services.year_record_submit(record=submitted, actor=admin_actor())
    to_return = YearRecord.objects.filter(project__code="t1-003").order_by("-year")[0]
    services.year_record_update(
        record=to_return, actor=admin_actor(), data={"phase": Phase.PREPARING}
    )
    services.year_record_submit(record=to_return, actor=admin_actor())
    approved = YearRecord.objects.filter(project__code="t1-004").order_by("-year")[0]
    services.year_record_update(
        record=approved, actor=admin_actor(), data={"phase": Phase.PREPARING}
    )
    services.year_record_submit(record=approved, actor=admin_actor())
    services.year_record_approve(record=approved, actor=reviewer())
    services.project_delete(
        project=Project.objects.get(code="t1-010"), actor=admin_actor()
    )
    plan = Project.objects.get(code="t1-005").plan
    proposed = [
        adjust.adjustment_propose(
            plan=plan,
            kind=AdjustmentKind.CHANGE,
            actor=admin_actor(),
            reason="更正名称",
            project=Project.objects.get(code=code),
            payload={"name": f"{code}（更正）"},
        )
        for code in ("t1-005", "t1-007")
    ]
    adjust.adjustment_submit(adjustment=proposed[1], actor=admin_actor())
    adjustments = "/api/v1/adjustments/{id}/"
    first, second = (f"/api/v1/adjustments/{a.pk}/" for a in proposed)

    rid = year_record.pk
    records = "/api/v1/year-records/{id}/"
    calls = [Call("get", "/api/v1/", "/api/v1/", 200, caller="nobody")]
    for name in [
        "districts",
        "sectors",
        "clusters",
        "departments",
        "indicators",
        "projects",
        "year-records",
        "deletions",
        "notices",
        "plans",
        "adjustments",
    ]:
        for extension in ("csv", "xlsx"):
            export = f"/api/v1/{name}/export.{extension}"
            calls += [
                Call("get", export, export, 200),
                Call("get", export, export, 401, caller="nobody"),
            ]
    calls += [
        Call(
            "get",
            "/api/v1/projects/export.csv",
            "/api/v1/projects/export.csv?district=nowhere",
            400,
        ),
        Call(
            "get",
            "/api/v1/projects/{code}/",
            "/api/v1/projects/t1-001/",
            304,
            headers={"If-None-Match": "*"},
        ),
        Call(
            "get",
            records,
            f"/api/v1/year-records/{rid}/",
            304,
            headers={"If-None-Match": "*"},
        ),
    ]
    for name, key in [
        ("districts", "bazhou"),
        ("sectors", "tourism"),
        ("clusters", "c01"),
        ("departments", "bazhou-gov"),
        ("indicators", "service-share-of-gdp"),
        ("projects", "t1-001"),
        ("plans", "bazhong-14th-service"),
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
        # The dashboard answers people and systems' tokens alike.
        Call("get", "/api/v1/dashboard/", "/api/v1/dashboard/", 200, caller="reader"),
        Call("get", "/api/v1/dashboard/", "/api/v1/dashboard/?year=x", 400),
        Call("get", "/api/v1/dashboard/", "/api/v1/dashboard/", 401, caller="nobody"),
        # The dispatch statistics and the projects behind each figure.
        Call(
            "get",
            "/api/v1/statistics/evaluation/",
            "/api/v1/statistics/evaluation/?year=2023",
            200,
        ),
        Call(
            "get",
            "/api/v1/statistics/evaluation/",
            "/api/v1/statistics/evaluation/?year=2019",
            400,
        ),
        Call(
            "get",
            "/api/v1/statistics/evaluation/",
            "/api/v1/statistics/evaluation/",
            401,
            caller="nobody",
        ),
        Call("get", "/api/v1/statistics/", "/api/v1/statistics/?period=2026-11", 200),
        Call("get", "/api/v1/statistics/", "/api/v1/statistics/?period=x", 400),
        Call("get", "/api/v1/statistics/", "/api/v1/statistics/", 401, caller="nobody"),
        Call(
            "get",
            "/api/v1/statistics/items/",
            "/api/v1/statistics/items/?period=2026&unit=all&figure=due_start",
            200,
        ),
        Call(
            "get",
            "/api/v1/statistics/items/",
            "/api/v1/statistics/items/?unit=all&figure=nope",
            400,
        ),
        Call(
            "get",
            "/api/v1/statistics/items/",
            "/api/v1/statistics/items/?unit=all&figure=started",
            401,
            caller="nobody",
        ),
        Call("get", "/api/v1/oc4ids/", "/api/v1/oc4ids/?district=nanjiang", 200),
        Call("get", "/api/v1/oc4ids/", "/api/v1/oc4ids/?plan=nope", 400),
        Call("get", "/api/v1/oc4ids/", "/api/v1/oc4ids/", 401, caller="nobody"),
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
            {"clusters": ["c01"]},
        ),
        Call(
            "patch",
            "/api/v1/projects/{code}/",
            "/api/v1/projects/t1-001/",
            400,
            {"content": "规划内容须经项目调整"},
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
        # Reviewing is a supervisor's act: the writer token is a clerk.
        Call(
            "post",
            records + "approve/",
            f"/api/v1/year-records/{submitted.pk}/approve/",
            403,
        ),
        Call(
            "post",
            records + "approve/",
            f"/api/v1/year-records/{submitted.pk}/approve/",
            200,
            caller="boss",
        ),
        Call(
            "post",
            records + "return/",
            f"/api/v1/year-records/{to_return.pk}/return/",
            400,
            {},
            caller="boss",
        ),
        Call(
            "post",
            records + "return/",
            f"/api/v1/year-records/{to_return.pk}/return/",
            200,
            {"reason": "数据不全"},
            caller="boss",
        ),
        Call(
            "post",
            records + "reopen/",
            f"/api/v1/year-records/{approved.pk}/reopen/",
            200,
            {"reason": "更正"},
            caller="boss",
        ),
    ]
    calls += _plan_calls(first, second, adjustments)
    return calls


def _plan_calls(first: str, second: str, adjustments: str) -> list[Call]:
    """Adjustments and the direct project writes (administrators only)."""
    listed = "/api/v1/adjustments/"
    change = {
        "kind": "change",
        "project": "t1-001",
        "reason": "更正",
        "payload": {"name": "新名称"},
    }
    return [
        Call("get", listed, listed, 200),
        Call("get", listed, listed, 401, caller="nobody"),
        Call("get", listed, listed + "?plan=nope", 400),
        Call("get", adjustments, first, 200),
        Call("get", adjustments, listed + "0/", 404),
        Call("post", listed, listed, 201, change),
        Call("post", listed, listed, 400, {"kind": "change"}),
        Call("post", adjustments + "submit/", first + "submit/", 200),
        Call("post", adjustments + "submit/", first + "submit/", 409),
        Call("post", adjustments + "approve/", first + "approve/", 403),
        Call("post", adjustments + "approve/", first + "approve/", 200, caller="boss"),
        Call(
            "post", adjustments + "return/", second + "return/", 400, {}, caller="boss"
        ),
        Call(
            "post",
            adjustments + "return/",
            second + "return/",
            200,
            {"reason": "缺文号"},
            caller="boss",
        ),
        Call("post", "/api/v1/projects/", "/api/v1/projects/", 400, {}),
        Call(
            "post",
            "/api/v1/projects/",
            "/api/v1/projects/",
            403,
            {
                "table": 3,
                "name": "新项目",
                "district": "bazhou",
                "sector": "commerce-logistics",
                "period": "2026-2027",
                "content": "新建",
            },
        ),
        Call("delete", "/api/v1/projects/{code}/", "/api/v1/projects/t1-001/", 403),
    ]


def test_every_operation_answers_what_the_schema_says(
    openapi, reader, writer, supervisor_writer
):
    callers = {
        "reader": reader,
        "writer": writer,
        "boss": supervisor_writer,
        "nobody": token_caller(),
    }
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
        assert response.status_code == call.status, (call, _body(response)[:300])
        responses = openapi["paths"][call.template][call.method]["responses"]
        assert str(call.status) in responses, f"{call} not documented"
        documented = responses[str(call.status)]
        for name, header in documented.get("headers", {}).items():
            if header.get("required"):
                assert response.has_header(name), (call, name)
        if "content" not in documented:  # 304: no body
            assert not _body(response), call
            continue
        (media_type, content), *others = documented["content"].items()
        assert not others, f"{call}: one media type per response"
        assert response["Content-Type"].startswith(media_type), call
        if media_type != "application/json":
            continue
        schema = copy.deepcopy(_strict(content["schema"]))
        validator = Draft202012Validator({**schema, "components": components})
        body = (
            b"".join(response.streaming_content)  # the OC4IDS package
            if response.streaming
            else response.content
        )
        errors = sorted(validator.iter_errors(json.loads(body)), key=str)
        assert not errors, (call, [e.message for e in errors[:5]])


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_lists_have_export_operations_with_one_media_type(openapi):
    paths = openapi["paths"]
    lists = [
        path
        for path, operations in paths.items()
        if "get" in operations
        and operations["get"]["operationId"].endswith("_list")
        and "{" not in path
    ]
    assert len(lists) == 11, lists
    for path in lists:
        assert list(paths[path]["get"]["responses"]["200"]["content"]) == [
            "application/json"
        ], path
        for extension, media_type in [
            ("csv", "text/csv"),
            (
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        ]:
            export = paths[f"{path}export.{extension}"]["get"]
            assert list(export["responses"]["200"]["content"]) == [media_type]
            # The same filters as the list, and no pages.
            names = {p["name"] for p in export.get("parameters", [])}
            listed = {p["name"] for p in paths[path]["get"].get("parameters", [])}
            assert names == listed - {"page", "page_size"}, (path, names ^ listed)


def test_schema_is_what_client_generators_need(openapi, reader):
    """ASCII names, OpenAPI 3.1 nulls, typed filters, declared headers."""
    assert openapi["openapi"].startswith("3.1")
    assert openapi["info"]["title"].isascii()
    text = str(openapi)
    assert "nullable" not in text
    for path, operations in openapi["paths"].items():
        for operation in operations.values():
            assert operation["operationId"].isidentifier(), path
            assert operation["operationId"].isascii(), path
            assert all(tag.isascii() for tag in operation["tags"]), path
            for parameter in operation.get("parameters", []):
                assert "title" not in parameter["schema"], (path, parameter)
    projects = {
        p["name"]: p for p in openapi["paths"]["/api/v1/projects/"]["get"]["parameters"]
    }
    records = {
        p["name"]: p
        for p in openapi["paths"]["/api/v1/year-records/"]["get"]["parameters"]
    }
    assert projects["year"]["schema"] == {"type": "integer"}
    assert records["year"]["schema"] == {"type": "integer"}
    for name in ("district", "sector", "department", "cluster", "ordering"):
        assert projects[name]["schema"]["type"] == "array", name
        assert projects[name].get("explode", True), name
    for name in ("district", "sector", "department", "project"):
        assert records[name]["schema"]["type"] == "array", name
    assert records["due_date_after"]["deprecated"] is True
    assert records["due_date_min"]["schema"]["format"] == "date"
    security = openapi["components"]["securitySchemes"]
    assert security["bearerAuth"] == {
        **security["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert security["tokenAuth"]["type"] == "apiKey"
    detail = openapi["paths"]["/api/v1/projects/{code}/"]["get"]["responses"]
    assert detail["200"]["headers"]["ETag"]["required"] is True
    assert "304" in detail
    assert "RateLimit-Remaining" in detail["200"]["headers"]
    throttled = openapi["paths"]["/api/v1/projects/"]["get"]["responses"]["429"]
    assert throttled["headers"]["Retry-After"]["required"] is True
    dashboard = openapi["paths"]["/api/v1/dashboard/"]["get"]
    assert dashboard["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Dashboard"
    }
    assert {"bearerAuth": []} in dashboard["security"]


def test_schema_file_name_is_a_well_formed_header(reader):
    for fmt, name in [("json", "bazhong-portfolio-api.json"), ("yaml", None)]:
        response = reader.get("/api/schema/", {"format": fmt} if fmt else {})
        header = response["Content-Disposition"]
        assert header.isascii() and "=?" not in header, header
        assert header == f'inline; filename="{name or "bazhong-portfolio-api.yaml"}"'


def test_docs_page_is_served(reader):
    response = reader.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger" in body.lower()
    # Served from our own static files, not from a CDN: offices may be offline.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in body
    assert "cdn" not in body.lower()


def test_every_operation_documents_400_and_503(openapi):
    """A request can be refused before any view (400: a NUL byte, a body too
    large or too deep) and the database can be away (503, with Retry-After)."""
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            responses = operation["responses"]
            assert "400" in responses, (method, path)
            unavailable = responses["503"]
            assert unavailable["headers"]["Retry-After"]["required"] is True
            assert "application/json" in unavailable["content"]


def test_a_real_503_is_what_the_schema_documents(openapi, reader, monkeypatch):
    """SQLite's "database is locked" or a PostgreSQL restart: 503, Retry-After."""
    from django.db import OperationalError

    from portfolio.api.views import DistrictViewSet

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(DistrictViewSet, "list", locked)
    response = reader.get("/api/v1/districts/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    documented = openapi["paths"]["/api/v1/districts/"]["get"]["responses"]["503"]
    schema = _strict(documented["content"]["application/json"]["schema"])
    validator = Draft202012Validator(
        {**schema, "components": _strict(openapi["components"])}
    )
    assert not list(validator.iter_errors(response.json()))
    assert response.json()["detail"] == "数据库暂时不可用，请稍后重试。"
