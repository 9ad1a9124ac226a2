"""Every list exports its whole filtered list as CSV or XLSX, headed in Chinese."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from projects.models import Project, YearRecord

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTS = [
    "/api/v1/districts/",
    "/api/v1/sectors/",
    "/api/v1/clusters/",
    "/api/v1/departments/",
    "/api/v1/indicators/",
    "/api/v1/projects/",
    "/api/v1/year-records/",
    "/api/v1/deletions/",
]


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_projects_csv_is_the_whole_list_in_the_plans_columns(reader):
    response = reader.get("/api/v1/projects/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header[:6] == [
        "项目表",
        "序号",
        "项目名称",
        "县区",
        "建设年限",
        "建设规模及内容",
    ]
    assert len(rows) == Project.objects.count() > 50  # more than one page
    first = Project.objects.get(code="t1-001")
    assert rows[0][:5] == ["表1", "1", first.name, "巴州区", first.period]


def test_csv_follows_the_filters(reader):
    response = reader.get("/api/v1/projects/", {"format": "csv", "district": "bazhou"})
    header, *rows = _csv_rows(response)
    assert rows and {row[3] for row in rows} == {"巴州区"}
    assert len(rows) == Project.objects.filter(district__code="bazhou").count()


def test_scope_applies_to_exports(bazhou_reader):
    header, *rows = _csv_rows(
        bazhou_reader.get("/api/v1/year-records/", {"format": "csv"})
    )
    assert (
        len(rows) == YearRecord.objects.filter(project__district__code="bazhou").count()
    )
    # Names under the Chinese headings, as in the projects' export.
    assert {row[2] for row in rows} == {"巴州区"}


def test_year_records_xlsx(reader):
    response = reader.get("/api/v1/year-records/", {"format": "xlsx", "year": "2024"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == (
        "项目编码",
        "项目名称",
        "县区",
        "产业",
        "年度",
        "审核状态",
        "年度阶段",
    )
    assert len(rows) - 1 == YearRecord.objects.filter(year=2024).count()
    assert {row[4] for row in rows[1:]} == {2024}


def test_accept_header_chooses_the_format(reader):
    response = reader.get("/api/v1/projects/", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("text/csv")
    response = reader.get("/api/v1/sectors/", HTTP_ACCEPT=XLSX)
    assert response["Content-Type"] == XLSX


@pytest.mark.parametrize("path", LISTS)
def test_every_list_exports(reader, path):
    csv_response = reader.get(path, {"format": "csv"})
    assert csv_response.status_code == 200
    header, *rows = _csv_rows(csv_response)
    assert header and all(header)
    assert len(rows) == reader.get(path).json()["count"]
    xlsx = reader.get(path, {"format": "xlsx"})
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row == len(rows) + 1


def test_errors_stay_json_when_csv_was_asked(reader, anonymous):
    response = reader.get("/api/v1/projects/", {"format": "csv", "district": "x"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "district" in response.json()["errors"]
    response = anonymous.get("/api/v1/projects/", {"format": "xlsx"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
