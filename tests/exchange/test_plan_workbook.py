"""Loading a plan from a workbook: the demo 15th plan beside the 14th, idempotent,
all or nothing, every error named by sheet, row and column."""

from __future__ import annotations

import io
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from portfolio.models import Plan
from projects.exchange.plan_loading import plan_workbook_load
from projects.exchange.plan_workbook import PlanWorkbookInvalid, plan_workbook_read
from projects.models import PlanTable, Project, YearRecord
from tests.conftest import LOAD_DAY

DEMO = (
    Path(__file__).parents[2] / "fixtures" / "DEMO-made-up-15th-plan-NOT-OFFICIAL.xlsx"
)
FOURTEENTH = {1: 15, 2: 9, 3: 72, 4: 15, 5: 1, 6: 15, 7: 8}


def _counts(code: str) -> dict[int, int]:
    return dict(
        Counter(
            Project.objects.filter(plan__code=code).values_list(
                "table__number", flat=True
            )
        )
    )


def _load(source=DEMO) -> str:
    out = StringIO()
    call_command(
        "load_plan",
        workbook=str(source),
        today=LOAD_DAY,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def _workbook_counts() -> dict[int, int]:
    workbook = load_workbook(DEMO, read_only=True)
    counts = {}
    for name in workbook.sheetnames:
        if name.startswith("表"):
            rows = list(workbook[name].iter_rows(min_row=3, values_only=True))
            counts[int(name[1:])] = sum(1 for row in rows if any(row))
    return counts


def test_the_demo_workbook_says_it_is_made_up():
    workbook = load_workbook(DEMO, read_only=True)
    plan = {row[0]: row[1] for row in workbook["规划"].iter_rows(values_only=True)}
    assert "演示数据" in plan["名称"] and "非正式" in plan["名称"]
    assert "虚构" in plan["说明"]
    assert 55 <= sum(_workbook_counts().values()) <= 65
    assert len(_workbook_counts()) == 5


def test_the_demo_plan_loads_beside_the_14th_and_a_second_load_changes_nothing(db):
    output = _load()
    assert "新建 项目: 60" in output
    assert _counts("bazhong-14th-service") == FOURTEENTH
    assert Project.objects.filter(plan__code="bazhong-14th-service").count() == 135
    assert _counts("demo-15th-service") == _workbook_counts()
    plan = Plan.objects.get(code="demo-15th-service")
    assert (plan.start_year, plan.end_year, plan.is_current) == (2026, 2030, False)
    assert PlanTable.objects.filter(plan=plan).count() == 5
    # 续建自: the continuation names its 14th-plan project.
    carried = Project.objects.get(plan=plan, continues__code="t1-005")
    assert carried.continues.continued_by == carried
    again = _load()
    assert "无变化" in again
    assert Project.objects.filter(plan=plan).count() == 60


def test_a_reload_keeps_an_edit_made_since(db):
    _load()
    project = Project.objects.filter(plan__code="demo-15th-service").first()
    Project.objects.filter(pk=project.pk).update(content="填报员更正的内容")
    output = _load()
    assert f"保留填报员修改: {project.code} content" in output
    assert Project.objects.get(pk=project.pk).content == "填报员更正的内容"


def test_the_loaded_plans_year_records_open_for_its_years(db):
    _load()
    years = set(
        YearRecord.objects.filter(project__plan__code="demo-15th-service").values_list(
            "year", flat=True
        )
    )
    assert years == {2026}


# --- Errors: one test per kind, each names sheet, row and column ------------------


def _broken(edit) -> io.BytesIO:
    workbook = load_workbook(DEMO)
    edit(workbook)
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    return data


def _errors(edit) -> list[str]:
    before = Project.objects.count(), Plan.objects.count()
    with pytest.raises(PlanWorkbookInvalid) as caught:
        parsed = plan_workbook_read(_broken(edit))
        plan_workbook_load(parsed=parsed, actor="test", today=LOAD_DAY)
    assert (Project.objects.count(), Plan.objects.count()) == before
    return [str(e) for e in caught.value.errors]


def _cell(sheet, ref, value):
    def edit(workbook):
        workbook[sheet][ref] = value

    return edit


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            _cell("表2", "C3", "火星区"),
            "工作表“表2”第3行C（县区）列：没有名为“火星区”的县区。",
        ),
        (
            _cell("表3", "F5", "太空产业"),
            "工作表“表3”第5行F（产业）列：没有名为“太空产业”的产业。",
        ),
        (
            _cell("表1", "D4", "2026年至今"),
            "工作表“表1”第4行D（建设年限）列：建设年限应为“YYYY-YYYY”或“YYYY”，"
            "而不是“2026年至今”。",
        ),
        (
            _cell("表1", "D4", "2029-2027"),
            "工作表“表1”第4行D（建设年限）列：完工年不能早于开工年。",
        ),
        (
            _cell("表4", "A4", 1),
            "工作表“表4”第4行A（序号）列：序号 1 与第3行重复。",
        ),
        (
            _cell("表4", "A4", "一"),
            "工作表“表4”第4行A（序号）列：序号应为正整数，而不是“一”。",
        ),
        (
            _cell("表5", "B3", None),
            "工作表“表5”第3行B（项目名称）列：不能为空。",
        ),
        (
            _cell("表1", "H5", "t9-999"),
            "工作表“表1”第5行H（续建自）列：没有编码为“t9-999”的项目。",
        ),
        (
            _cell("表1", "G5", "不存在的集聚区"),
            "工作表“表1”第5行G（所属集聚区）列：没有名为“不存在的集聚区”的集聚区。",
        ),
        (
            _cell("表2", "C2", "区县"),
            "工作表“表2”第2行C列：表头应为“县区”。",
        ),
        (
            _cell("规划", "B5", "2026/06/30"),
            "工作表“规划”第5行B（值）列：印发日期应为 YYYY-MM-DD，而不是“2026/06/30”。",
        ),
        (
            _cell("规划", "B7", "2020"),
            "工作表“规划”第7行B（值）列：结束年不能早于起始年。",
        ),
    ],
)
def test_each_kind_of_error_names_sheet_row_and_column(db, edit, expected):
    assert expected in _errors(edit)


def test_a_project_goes_on_in_one_project_only(db):
    twice = _errors(_cell("表2", "H3", "t1-005"))
    assert "工作表“表2”第3行H（续建自）列：项目“t1-005”已在工作表“表1”续建。" in twice
    elsewhere = Project.objects.get(code="t2-001")
    Project.objects.filter(code="t2-002").update(continues=elsewhere)
    taken = _errors(_cell("表2", "H3", "t2-001"))
    assert "工作表“表2”第3行H（续建自）列：项目“t2-001”已由“t2-002”续建。" in taken


def test_a_missing_plan_sheet_is_named(db):
    def edit(workbook):
        del workbook["规划"]

    assert "工作表“规划”：缺少工作表“规划”。" in _errors(edit)


def test_every_error_is_reported_at_once_and_the_command_fails(db, tmp_path):
    def edit(workbook):
        workbook["表1"]["C3"] = "火星区"
        workbook["表2"]["F4"] = "太空产业"

    path = tmp_path / "broken.xlsx"
    path.write_bytes(_broken(edit).getvalue())
    err = StringIO()
    with pytest.raises(CommandError, match="2 处错误"):
        call_command("load_plan", workbook=str(path), stdout=StringIO(), stderr=err)
    assert "表1" in err.getvalue() and "表2" in err.getvalue()
    assert not Plan.objects.filter(code="demo-15th-service").exists()
