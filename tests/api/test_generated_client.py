"""An integrator's client, generated from the live schema, works unmodified.

openapi-python-client generates a client from ``/api/schema/`` of a live server
(``--fail-on-warning``, with the configuration docs/api.md gives integrators);
the test imports it and runs a whole integration with it, as an external system
would: a token → filtered paging with two ordering keys → a detail (and its
304) → a PATCH with ``If-Match`` → submit → an incremental sync through the
page's ``sync_token`` and ``/deletions/`` → an export through its operation.
Every response on the way is validated strictly against the schema with
openapi-schema-validator (no undeclared property, formats checked, one media
type, required headers present).

``slow``: it starts a live server and the generator in a subprocess.
"""

from __future__ import annotations

import ast
import copy
import csv
import importlib
import io
import os
import re
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from openapi_schema_validator import OAS31Validator
from openpyxl import load_workbook

from projects import services
from projects.models import Project
from tests.factories import admin_actor

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "docs" / "openapi-python-client.yaml"
PACKAGE = "bazhong_portfolio_api_client"
DISTRICTS = ["bazhou", "enyang"]


def _strict(node: Any) -> Any:
    """No property that the schema does not name."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    return node


class SchemaChecker:
    """An httpx response hook: every response against the operation's schema."""

    def __init__(self, openapi: dict):
        self.openapi = openapi
        self.components = _strict(openapi["components"])
        # Literal paths before templated ones (export.csv before {code}).
        self.paths = sorted(openapi["paths"], key=lambda p: ("{" in p, p))
        self.patterns = {
            path: re.compile(
                "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$"
            )
            for path in self.paths
        }
        self.seen: Counter[tuple[str, str, int]] = Counter()

    def operation(self, method: str, path: str) -> tuple[str, dict]:
        for template in self.paths:
            if self.patterns[template].match(path):
                return template, self.openapi["paths"][template][method.lower()]
        raise AssertionError(f"{method} {path} is in no operation of the schema")

    def __call__(self, response) -> None:
        response.read()
        request = response.request
        template, operation = self.operation(request.method, request.url.path)
        where = f"{request.method} {request.url} → {response.status_code}"
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{where}: status not documented"
        for name, header in documented.get("headers", {}).items():
            if header.get("required"):
                assert name in response.headers, f"{where}: no {name} header"
        self.seen[request.method, template, response.status_code] += 1
        if "content" not in documented:
            assert not response.content, f"{where}: a body where none is documented"
            return
        (media_type, content), *others = documented["content"].items()
        assert not others, f"{where}: several media types"
        assert response.headers["content-type"].startswith(media_type), where
        if media_type != "application/json":
            return
        schema = copy.deepcopy(_strict(content["schema"]))
        validator = OAS31Validator(
            {**schema, "components": self.components},
            format_checker=OAS31Validator.FORMAT_CHECKER,
        )
        errors = sorted(validator.iter_errors(response.json()), key=str)
        assert not errors, (where, [e.message for e in errors[:5]])


def _generate(schema_url: str, out: Path) -> Path:
    """openapi-python-client, as docs/api.md tells integrators to run it."""
    env = dict(os.environ)
    # Its formatting hooks (ruff) come from our own environment: no network.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--url",
            schema_url,
            "--config",
            str(CONFIG),
            "--output-path",
            str(out),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Warning" not in result.stdout, result.stdout[-3000:]
    return out


def _non_ascii_names(root: Path) -> list[str]:
    """Generated file names and identifiers that are not ASCII."""
    found = []
    for path in root.rglob("*.py"):
        relative = str(path.relative_to(root))
        if not relative.isascii():
            found.append(relative)
        for node in ast.walk(ast.parse(path.read_text())):
            for name in (
                getattr(node, "name", None),
                getattr(node, "id", None),
                getattr(node, "arg", None),
                getattr(node, "attr", None),
            ):
                if isinstance(name, str) and not name.isascii():
                    found.append(f"{relative}: {name}")
    return found


@pytest.fixture
def generated(plan_restored_afterwards, live_server, tmp_path):
    out = _generate(f"{live_server.url}/api/schema/?format=json", tmp_path / "client")
    packages = sorted(p.parent.name for p in out.glob("*/__init__.py"))
    assert packages == [PACKAGE], packages  # a sane name, from the ASCII title
    assert not _non_ascii_names(out / PACKAGE)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _token() -> str:
    out = StringIO()
    call_command("create_api_client", "ERP 系统", "--scope", "write", stdout=out)
    return re.search(r"^(bzk_\S+)$", out.getvalue(), re.M).group(1)


class Api:
    """The generated modules, by their names (``api.projects.projects_list``)."""

    def __init__(self, package):
        self.package = package

    def __getattr__(self, dotted: str):
        return importlib.import_module(f"{self.package.__name__}.{dotted}")

    def call(self, module: str, **kwargs):
        return getattr(self, module).sync_detailed(**kwargs)


def _walk(api: Api, client, module: str, **params) -> tuple[list[dict], Any]:
    """Every page of a list; the rows as plain dicts, and the first page."""
    rows, page, first = [], 1, None
    while True:
        response = api.call(module, client=client, page=page, page_size=25, **params)
        assert response.status_code == 200, response.content[:300]
        body = response.parsed
        first = first or body
        rows += [row.to_dict() for row in body.results]
        if body.next_ is None:
            return rows, first
        page += 1


def test_a_generated_client_does_a_whole_integration(generated, live_server):
    api = Api(generated)
    openapi = httpx.get(f"{live_server.url}/api/schema/?format=json").json()
    checker = SchemaChecker(openapi)
    models = api.models
    client = generated.AuthenticatedClient(  # sends "Bearer <token>"
        base_url=live_server.url,
        token=_token(),
        raise_on_unexpected_status=True,
        httpx_args={"event_hooks": {"response": [checker]}},
    )
    root = api.call("api.root.root_retrieve", client=client).parsed
    assert root.projects == f"{live_server.url}/api/v1/projects/"

    # Filtered paging, ordered by two keys: start year, then code descending.
    ordering = [
        models.ProjectsListOrderingItem.START_YEAR,
        models.ProjectsListOrderingItem("-code"),
    ]
    projects, first = _walk(
        api, client, "api.projects.projects_list", district=DISTRICTS, ordering=ordering
    )
    cursor = first.sync_token  # the first page's: the round's cursor
    assert first.count == len(projects) > 25
    assert {p["district"] for p in projects} == set(DISTRICTS)
    keys = [(p["start_year"], p["code"]) for p in projects]
    expected = sorted(keys, key=lambda k: k[1], reverse=True)
    expected.sort(key=lambda k: k[0])
    assert keys == expected
    records, _ = _walk(
        api, client, "api.year_records.year_records_list", district=DISTRICTS
    )
    copy_ = {
        "projects": {p["code"]: p for p in projects},
        "records": {r["id"]: r for r in records},
    }

    # A detail, its ETag, and a 304 while nothing changed.
    code = projects[0]["code"]
    detail = api.call("api.projects.projects_retrieve", client=client, code=code)
    assert detail.parsed.code == code
    etag = detail.headers["ETag"]
    same = api.call(
        "api.projects.projects_retrieve", client=client, code=code, if_none_match=etag
    )
    assert same.status_code == 304

    # PATCH the project's latest year record with If-Match, then submit it.
    latest = api.call(
        "api.year_records.year_records_list",
        client=client,
        project=[code],
        ordering=[models.YearRecordsListOrderingItem("-year")],
    ).parsed.results[0]
    read = api.call(
        "api.year_records.year_records_retrieve", client=client, id=latest.id
    )
    body = models.PatchedYearRecordUpdateRequest(
        phase=models.PhaseEnum.UNDER_CONSTRUCTION,
        planned_investment="5000.00",
        actual_investment="1200.50",
        percent_complete="45.00",
        progress="主体结构施工中",
    )
    patched = api.call(
        "api.year_records.year_records_partial_update",
        client=client,
        id=latest.id,
        body=body,
        if_match=read.headers["ETag"],
    )
    assert patched.status_code == 200, patched.content[:300]
    assert patched.parsed.actual_investment == "1200.50"
    stale = api.call(
        "api.year_records.year_records_partial_update",
        client=client,
        id=latest.id,
        body=models.PatchedYearRecordUpdateRequest(progress="旧的"),
        if_match=read.headers["ETag"],
    )
    assert stale.status_code == 412
    assert stale.parsed.current_version == patched.parsed.version
    submitted = api.call(
        "api.year_records.year_records_submit_create",
        client=client,
        id=latest.id,
        if_match=patched.headers["ETag"],
    )
    assert submitted.status_code == 200
    assert submitted.parsed.state == models.StateEnum.SUBMITTED

    # Meanwhile an administrator deletes a project of those districts.
    gone = Project.objects.filter(district__code="enyang").order_by("code").last()
    services.project_delete(project=gone, actor=admin_actor())

    # The incremental sync: what changed since the cursor, and what went.
    changed, _ = _walk(
        api,
        client,
        "api.projects.projects_list",
        district=DISTRICTS,
        updated_since=cursor,
    )
    assert code in {p["code"] for p in changed}
    assert len(changed) < len(projects)  # only what changed, not everything
    copy_["projects"].update({p["code"]: p for p in changed})
    changed, _ = _walk(
        api,
        client,
        "api.year_records.year_records_list",
        district=DISTRICTS,
        updated_since=cursor,
    )
    copy_["records"].update({r["id"]: r for r in changed})
    deletions, _ = _walk(api, client, "api.sync.deletions_list", updated_since=cursor)
    assert gone.code in {d["code"] for d in deletions}
    for deletion in deletions:
        if deletion["model"] == "projects.project":
            copy_["projects"].pop(deletion["code"], None)
        else:
            copy_["records"].pop(deletion["id"], None)
    now_projects, _ = _walk(
        api, client, "api.projects.projects_list", district=DISTRICTS, ordering=ordering
    )
    now_records, _ = _walk(
        api, client, "api.year_records.year_records_list", district=DISTRICTS
    )
    assert copy_["projects"] == {p["code"]: p for p in now_projects}
    assert copy_["records"] == {r["id"]: r for r in now_records}

    # An export through its own operation: the whole filtered list.
    exported = api.call(
        "api.projects.projects_export_csv", client=client, district=DISTRICTS
    )
    rows = list(csv.reader(io.StringIO(exported.parsed.lstrip("\ufeff"))))
    assert rows[0][:3] == ["项目表", "序号", "项目名称"]
    assert len(rows) - 1 == len(now_projects)
    workbook = api.call(
        "api.year_records.year_records_export_xlsx", client=client, district=DISTRICTS
    )
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet.max_row - 1 == len(now_records)

    # Every response was checked against the schema, of each kind seen here.
    statuses = {status for (_, _, status) in checker.seen}
    assert {200, 304, 412} <= statuses, checker.seen
    assert sum(checker.seen.values()) > 20
