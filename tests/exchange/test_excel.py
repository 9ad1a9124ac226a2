"""Export of the project tables: the plan's layout, titles, numbers, filters, scope."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portfolio.models import District
from portfolio.seed import parse_projects
from projects.choices import Phase
from projects.exchange import excel
from projects.exchange.excel import PHASE_WORDS
from projects.models import Project, YearRecord
from projects.services import year_record_update

pytestmark = pytest.mark.django_db

YEAR = 2026


def export(client, **params):
    params.setdefault("_year", YEAR)
    params.setdefault("_layout", excel.BY_TABLE)
    response = client.get(
        reverse("admin:projects_project_export"), {"_download": "1", **params}
    )
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content), read_only=True)


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def test_table_titles_are_the_plans_own():
    assert {row.table: row.title for row in parse_projects()} == excel.TABLE_TITLES


def test_one_sheet_per_table_in_the_plans_layout(client, supervisor, clerk_bazhou):
    first = Project.objects.get(code="t1-001")
    year_record_update(
        record=first.year_records.get(year=YEAR),
        actor=clerk_bazhou,
        data={
            "phase": "under_construction",
            "planned_investment": Decimal("8000"),
            "actual_investment": Decimal("2345.67"),
            "percent_complete": Decimal("40"),
            "progress": "布展设计完成",
        },
    )
    client.force_login(supervisor)
    workbook = export(client)
    assert workbook.sheetnames == [f"表{n}" for n in range(1, 8)]
    table1 = rows(workbook["表1"])
    assert table1[0][0] == "巴中市“十四五”旅游业重大项目表"
    assert table1[1] == (
        "序号",
        "项目名称",
        "县区",
        "建设年限",
        "建设规模及内容",
        "2026年审核状态",
        "2026年阶段",
        "2026年计划投资（万元）",
        "2026年完成投资（万元）",
        "2026年形象进度（%）",
        "2026年进展情况",
    )
    assert table1[2] == (
        1,
        first.name,
        "巴州区",
        "2021-2023",
        first.content,
        "填报中",
        "在建（续建）",
        8000,
        2345.67,
        40,
        "布展设计完成",
    )
    for table in range(1, 8):
        body = rows(workbook[f"表{table}"])[2:]
        expected = list(
            Project.objects.filter(table__number=table)
            .order_by("number")
            .values_list("number", "name")
        )
        assert [(r[0], r[1]) for r in body] == expected


def test_sheet_shape_frozen_header_widths_numbers(client, supervisor):
    client.force_login(supervisor)
    response = client.get(
        reverse("admin:projects_project_export"),
        {"_download": "1", "_year": YEAR, "_layout": excel.BY_TABLE},
    )
    ws = load_workbook(io.BytesIO(response.content))["表3"]
    assert ws.freeze_panes == "A3"
    assert "A1:K1" in {str(r) for r in ws.merged_cells.ranges}
    assert isinstance(ws["A3"].value, int)
    assert ws["H3"].number_format == "#,##0.00"
    names = [ws.cell(row=r, column=2).value for r in range(3, ws.max_row + 1)]
    longest = max(excel.text_width(name) for name in names)
    # Column B fits its longest name (Chinese counts double), up to the cap.
    assert ws.column_dimensions["B"].width >= min(longest, 30)
    assert ws.column_dimensions["A"].width < ws.column_dimensions["B"].width
    assert ws["E3"].alignment.wrap_text


def test_single_sheet_follows_the_changelists_filters(client, supervisor):
    nanjiang = District.objects.get(code="nanjiang")
    client.force_login(supervisor)
    workbook = export(
        client, _layout=excel.SINGLE_SHEET, district__id__exact=nanjiang.pk, table="3"
    )
    assert workbook.sheetnames == ["2026年项目"]
    data = rows(workbook["2026年项目"])
    assert data[1][:3] == ("项目表", "序号", "项目名称")
    expected = set(
        Project.objects.filter(district=nanjiang, table__number=3).values_list(
            "number", "name"
        )
    )
    assert {(r[1], r[2]) for r in data[2:]} == expected
    assert {r[0] for r in data[2:]} == {"表3"}
    assert {r[3] for r in data[2:]} == {"南江县"}


def test_clerk_exports_only_their_scope(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    workbook = export(client, _layout=excel.SINGLE_SHEET)
    districts = {r[3] for r in rows(workbook.worksheets[0])[2:]}
    count = len(rows(workbook.worksheets[0])) - 2
    assert districts == {"巴州区"}
    assert count == Project.objects.filter(district__code="bazhou").count()


def test_export_page_keeps_the_filters(client, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("admin:projects_project_export"), {"table": "2"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="table" value="2"' in html
    assert "下载 Excel" in html
    changelist = client.get(reverse("admin:projects_project_changelist"))
    assert "导出 Excel" in changelist.content.decode()


def test_projects_workbook_query_count_is_constant(django_assert_num_queries):
    projects = Project.objects.all()
    with django_assert_num_queries(2):
        excel.projects_workbook(projects, year=YEAR)
    with django_assert_num_queries(2):
        excel.projects_workbook(projects.filter(table=1), year=YEAR)


def test_table_workbook_for_any_list():
    workbook = excel.table_workbook(
        title="县区",
        headers=["编码", "名称", "项目数"],
        rows=[["bazhou", "巴州区", 40], ["enyang", "恩阳区", 10]],
    )
    ws = workbook.active
    assert ws["A1"].value == "县区"
    assert [c.value for c in ws[2]] == ["编码", "名称", "项目数"]
    assert ws["C3"].value == 40 and ws["C3"].number_format == "0"
    assert ws.freeze_panes == "A3"


def test_year_without_records_says_so(client, supervisor):
    YearRecord.objects.filter(project__code="t1-001", year=YEAR).delete()
    client.force_login(supervisor)
    table1 = rows(export(client)["表1"])
    assert table1[2][5] == "未建立"


def test_excel_phase_words_are_keyed_by_code():
    assert PHASE_WORDS["续建"] == Phase.UNDER_CONSTRUCTION
    assert PHASE_WORDS["新开工"] == Phase.UNDER_CONSTRUCTION
    # Every phase can be written with its current label as well.
    assert all(PHASE_WORDS[str(phase.label)] == phase for phase in Phase)
