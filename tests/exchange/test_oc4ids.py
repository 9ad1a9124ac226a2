"""The OC4IDS 0.9.5 export, validated against the standard's own schema and
codelists (``../shared/standards/oc4ids-0.9.5/``), through the API and the
command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from portfolio.models import Cluster
from projects import services
from projects.choices import Phase
from projects.dossier.attachments import attachment_add
from projects.dossier.choices import AttachmentKind
from projects.dossier.services import progress_update_submit, project_dossier_update
from projects.models import Project, YearRecord
from tests.factories import admin_actor

pytestmark = pytest.mark.django_db

STANDARD = Path(settings.BASE_DIR).parent / "shared" / "standards" / "oc4ids-0.9.5"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Organisation references in the project schema, by definition name.
ORG_REFERENCE = "#/definitions/OrganizationReference"


@cache
def schemas() -> tuple[dict, dict]:
    project = json.loads((STANDARD / "project-schema.json").read_text())
    package = json.loads((STANDARD / "project-package-schema.json").read_text())
    return project, package


@cache
def codelist(name: str) -> frozenset[str] | None:
    path = STANDARD / "codelists" / name
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as file:
        return frozenset(row["Code"] for row in csv.DictReader(file))


def validate_package(package: dict) -> None:
    """Draft 4, the package against the package schema with the project schema
    resolved from the folder (not fetched), date-time formats checked."""
    project_schema, package_schema = schemas()
    registry = Registry().with_resource(
        project_schema["id"],
        Resource.from_contents(project_schema, default_specification=DRAFT4),
    )
    validator = Draft4Validator(
        package_schema,
        registry=registry,
        format_checker=Draft4Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(package), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:20])
    project_validator = Draft4Validator(
        project_schema, format_checker=Draft4Validator.FORMAT_CHECKER
    )
    for project in package["projects"]:
        project_validator.validate(project)


def walk(schema: dict, data, path="", found=None):
    """Each (path, schema node, value) of ``data``, following ``$ref``s."""
    project_schema, _ = schemas()
    found = [] if found is None else found
    while "$ref" in schema:
        reference = schema["$ref"]
        found.append((path, reference, data))
        schema = project_schema["definitions"][reference.rsplit("/", 1)[1]]
    found.append((path, schema, data))
    if isinstance(data, dict):
        for key, value in data.items():
            child = schema.get("properties", {}).get(key)
            if child is not None:
                walk(child, value, f"{path}/{key}", found)
    elif isinstance(data, list) and isinstance(schema.get("items"), dict):
        for number, value in enumerate(data):
            walk(schema["items"], value, f"{path}/{number}", found)
    return found


def check_codelists(project: dict) -> int:
    """Every code of a codelist that the folder holds is in its CSV (closed and
    open ones alike: the export uses only the standard's codes)."""
    project_schema, _ = schemas()
    checked = 0
    for path, node, value in walk(project_schema, project):
        if not isinstance(node, dict) or "codelist" not in node:
            continue
        codes = codelist(node["codelist"])
        if codes is None:
            # Not in the folder: a closed one is an enum the schema checks.
            assert node.get("openCodelist") or "enum" in node, path
            continue
        values = value if isinstance(value, list) else [value]
        for code in values:
            assert code in codes, f"{path}: {code!r} not in {node['codelist']}"
            checked += 1
    return checked


def check_organisations(project: dict) -> int:
    parties = {party["id"]: party for party in project.get("parties", [])}
    references = [
        (path, value)
        for path, node, value in walk(schemas()[0], project)
        if node == ORG_REFERENCE
    ]
    for path, reference in references:
        assert reference["id"] in parties, f"{path}: {reference} has no party"
        assert parties[reference["id"]]["name"] == reference["name"], path
    return len(references)


@pytest.fixture
def rich(plan, clerk_bazhou, settings, tmp_path):
    """A project with everything the mapping carries: dossier, clusters, year
    figures, monthly progress, attachments."""
    settings.MEDIA_ROOT = str(tmp_path)
    project = Project.objects.get(code="t1-001")  # 巴州区
    services.project_update(
        project=project,
        actor=admin_actor(),
        data={"clusters": list(Cluster.objects.order_by("number")[:2])},
    )
    project_dossier_update(
        project=project,
        actor=clerk_bazhou,
        data={
            "total_investment": Decimal("12345.67"),
            "fiscal_funds": Decimal("10000"),
            "special_bonds": Decimal("2345.67"),
            "owner_unit": "巴中市文旅投资集团有限公司",
            "responsible_leader": "王副市长",
            "contact_person": "李明",
            "contact_phone": "13812345678",
        },
    )
    record = YearRecord.objects.get(project=project, year=2026)
    services.year_record_update(
        record=record,
        actor=clerk_bazhou,
        data={
            "phase": Phase.UNDER_CONSTRUCTION,
            "planned_investment": Decimal("5000"),
            "actual_investment": Decimal("3200.5"),
            "percent_complete": Decimal("60"),
            "progress": "主体结构完工",
        },
    )
    progress_update_submit(
        year_record=record,
        period="2026-03",
        actor=clerk_bazhou,
        data={
            "completed_investment": Decimal("800"),
            "physical_progress": "基础施工",
            "percent_complete": Decimal("20"),
        },
        today=dt.date(2026, 4, 3),
    )
    for kind, name, content in (
        (AttachmentKind.ACCEPTANCE, "验收证书.pdf", PDF),
        (AttachmentKind.APPROVAL, "可研批复.pdf", PDF),
    ):
        attachment_add(
            project=project,
            actor=clerk_bazhou,
            upload=SimpleUploadedFile(name, content, content_type="application/pdf"),
            kind=kind,
            title=name.removesuffix(".pdf"),
        )
    return Project.objects.get(pk=project.pk)


def fetch(caller, **params) -> dict:
    response = caller.get("/api/v1/oc4ids/", params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


def test_the_whole_package_is_valid_oc4ids(rich, reader):
    package = fetch(reader)
    validate_package(package)
    assert package["version"] == "0.9"
    assert package["publisher"]["name"] == "巴中市人民政府"
    assert (
        len(package["projects"])
        == Project.objects.filter(plan__is_current=True).count()
    )
    codes = sum(check_codelists(project) for project in package["projects"])
    references = sum(check_organisations(p) for p in package["projects"])
    assert codes > 4 * len(package["projects"]) and references == len(
        package["projects"]
    )
    for project in package["projects"]:
        for path, node, value in walk(schemas()[0], project):
            if isinstance(node, dict) and node.get("format") == "date-time":
                assert dt.datetime.fromisoformat(value).utcoffset() is not None, path
            if isinstance(node, dict) and node.get("format") == "uri":
                assert urlparse(value).scheme in ("http", "https"), path


def test_the_mapping_of_a_project(rich, reader):
    [project] = fetch(reader, search="t1-001")["projects"]
    assert project["id"] == settings.OC4IDS_ID_PREFIX + "t1-001"
    assert project["status"] == "implementation"
    assert project["budget"]["amount"] == {"amount": 123456700, "currency": "CNY"}
    [sources] = project["budget"]["budgetBreakdowns"]
    assert [
        (b["description"], b["amount"]["amount"]) for b in sources["budgetBreakdown"]
    ] == [("财政资金", 100000000), ("专项债券", 23456700)]
    assert project["publicAuthority"] == {
        "id": "dept-bazhou-gov",
        "name": "巴州区人民政府",
    }
    roles = {party["name"]: party["roles"] for party in project["parties"]}
    assert roles["巴中市文旅投资集团有限公司"] == ["procuringEntity"]
    schemes = {(c["scheme"], c["id"]) for c in project["additionalClassifications"]}
    assert ("CN-BZ-PLAN-TABLE", "bazhong-14th-service:1") in schemes
    assert {s for s, _ in schemes} == {
        "CN-BZ-PLAN-TABLE",
        "CN-BZ-SECTOR",
        "CN-BZ-CLUSTER",
    }
    metrics = {m["id"]: m["observations"] for m in project["metrics"]}
    money = {o["id"]: o["value"]["amount"] for o in metrics["financialProgress"]}
    # The March update feeds the year record (800 万元, 20 %): both are shown.
    record = YearRecord.objects.get(project=rich, year=2026)
    assert record.actual_investment == Decimal("800")
    assert money == {"2026": 8000000, "2026-03": 8000000}
    progress = {o["id"]: o["measure"] for o in metrics["physicalProgress"]}
    assert progress == {"2026": 20, "2026-03": 20}
    assert project["forecasts"][0]["observations"][0]["value"]["amount"] == 50000000
    assert project["period"]["startDate"].startswith("2021-01-01T00:00:00+08:00")
    assert [(m["id"], m["status"]) for m in project["milestones"]] == [
        ("start", "met"),
        ("completion", "notMet"),  # 2021-2023, not finished in 2026
    ]
    types = {d["title"]: d.get("documentType") for d in project["documents"]}
    assert types == {"验收证书": "completionCertificate", "可研批复": None}
    assert "巴中市“十四五”服务业发展规划" in project["policyAlignment"]["description"]
    text = json.dumps(project, ensure_ascii=False)
    for personal in ("李明", "13812345678", "王副市长"):
        assert personal not in text


def test_filters_and_scope_are_those_of_the_project_list(rich, reader, bazhou_reader):
    mine = fetch(bazhou_reader)["projects"]
    listed = bazhou_reader.get("/api/v1/projects/", {"page_size": 500}).json()
    assert {p["identifiers"][0]["id"] for p in mine} == {
        p["code"] for p in listed["results"]
    }
    nanjiang = fetch(reader, district="nanjiang")["projects"]
    assert nanjiang and {p["locations"][0]["id"] for p in nanjiang} == {"nanjiang"}
    assert fetch(reader, plan="bazhong-14th-service")["projects"]
    refused = reader.get("/api/v1/oc4ids/", {"plan": "no-such-plan"})
    assert refused.status_code == 400 and "plan" in refused.json()["errors"]
    assert reader.get("/api/v1/oc4ids/", {"district": "atlantis"}).status_code == 400


def test_statuses_follow_the_phases(plan, reader):
    cancelled = Project.objects.get(code="t2-003")
    Project.objects.filter(pk=cancelled.pk).update(phase=Phase.CANCELLED)
    Project.objects.filter(code="t2-004").update(phase=Phase.IN_OPERATION)
    package = fetch(reader, table="2")
    validate_package(package)
    status = {p["identifiers"][0]["id"]: p["status"] for p in package["projects"]}
    assert status["t2-003"] == "cancelled"
    assert status["t2-004"] == "maintenance"


def test_the_command_writes_the_same_package(rich, reader, tmp_path):
    out = tmp_path / "oc4ids.json"
    stdout = io.StringIO()
    call_command("export_oc4ids", "--out", str(out), stdout=stdout)
    package = json.loads(out.read_text(encoding="utf-8"))
    validate_package(package)
    api = fetch(reader)
    assert [p["id"] for p in package["projects"]] == [p["id"] for p in api["projects"]]
    assert package["uri"].endswith("/api/v1/oc4ids/?plan=bazhong-14th-service")
    assert str(len(package["projects"])) in stdout.getvalue()
    with pytest.raises(CommandError):
        call_command("export_oc4ids", "--plan", "nope", "--out", str(out))


def test_the_checks_refuse_what_the_standard_refuses(rich, reader):
    """The validation above can fail: a closed code, an unknown open code, a
    reference without its party, a bad date are each caught."""
    [project] = fetch(reader, search="t1-001")["projects"]
    package = {**fetch(reader, search="t1-002"), "projects": [project]}
    validate_package(package)

    bad_status = {**project, "status": "suspended"}
    with pytest.raises(AssertionError):
        validate_package({**package, "projects": [bad_status]})
    bad_document = json.loads(json.dumps(project))
    bad_document["documents"][0]["documentType"] = "photo"
    with pytest.raises(AssertionError):
        check_codelists(bad_document)
    orphan = {**project, "publicAuthority": {"id": "dept-x", "name": "无此单位"}}
    with pytest.raises(AssertionError):
        check_organisations(orphan)
    bad_date = {**project, "updated": "2026-13-01T00:00:00+08:00"}
    with pytest.raises(AssertionError):
        validate_package({**package, "projects": [bad_date]})
