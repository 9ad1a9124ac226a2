"""Carry-over (续建): every unfinished project of the 14th plan is linked once to
its continuation in the next; finished ones are not; a rerun changes nothing;
the old project keeps its year records."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from portfolio.models import Plan
from projects.carry_over import carry_over, unfinished_projects
from projects.choices import Phase
from projects.models import Project, YearRecord
from projects.selectors import projects_to_open
from tests.conftest import LOAD_DAY

DEMO = (
    Path(__file__).parents[2] / "fixtures" / "DEMO-made-up-15th-plan-NOT-OFFICIAL.xlsx"
)
OLD, NEW = "bazhong-14th-service", "demo-15th-service"


def _load_next_plan() -> tuple[Plan, Plan]:
    call_command("load_plan", workbook=str(DEMO), today=LOAD_DAY, stdout=StringIO())
    return Plan.objects.get(code=OLD), Plan.objects.get(code=NEW)


def _finish(code: str, phase: Phase) -> Project:
    """The project's report for 2025 says it ended the plan ``phase``."""
    project = Project.objects.get(code=code)
    YearRecord.objects.filter(project=project, year=2025).update(phase=phase)
    return project


def test_every_unfinished_project_is_linked_exactly_once(db):
    old, new = _load_next_plan()
    done = [
        _finish("t1-001", Phase.COMPLETED),
        _finish("t2-001", Phase.IN_OPERATION),
        _finish("t3-001", Phase.CANCELLED),
    ]
    _finish("t3-002", Phase.SUSPENDED)  # suspended is not finished
    unfinished = unfinished_projects(old)
    assert len(unfinished) == 135 - 3
    report = carry_over(old_plan=old, new_plan=new, actor="test", today=LOAD_DAY)
    # Three rows of the workbook already said 续建自.
    assert report.already == 3
    assert {code for code, _ in report.created} | set(report.unmatched) | {
        "t1-005",
        "t1-013",
        "t3-030",
    } == {p.code for p in unfinished}
    links = Counter(
        Project.objects.filter(plan=new)
        .exclude(continues=None)
        .values_list("continues__code", flat=True)
    )
    assert set(links.values()) == {1}
    assert set(links) == {p.code for p in unfinished} - set(report.unmatched)
    for project in done:
        assert not Project.objects.filter(continues=project).exists()
    # 表5 (人力资源服务) and 表7 (医疗和体育) have no table of their sector in the
    # demo plan: they are listed for a supervisor.
    assert {code.split("-")[0] for code in report.unmatched} == {"t5", "t7"}


def test_a_rerun_changes_nothing(db):
    old, new = _load_next_plan()
    carry_over(old_plan=old, new_plan=new, actor="test", today=LOAD_DAY)
    count = Project.objects.count()
    again = carry_over(old_plan=old, new_plan=new, actor="test", today=LOAD_DAY)
    assert not again.changed and Project.objects.count() == count
    # The workbook loads again as before: its 续建自 rows are the same links.
    out = StringIO()
    call_command("load_plan", workbook=str(DEMO), today=LOAD_DAY, stdout=out)
    assert "无变化" in out.getvalue() and Project.objects.count() == count


def test_the_old_project_keeps_its_records_and_the_new_one_reports_from_now(db):
    old, new = _load_next_plan()
    project = Project.objects.get(code="t3-010")
    records = list(project.year_records.values_list("year", flat=True))
    carry_over(old_plan=old, new_plan=new, actor="test", today=LOAD_DAY)
    following = Project.objects.get(continues=project)
    # It reports from the new plan's first year on.
    assert list(following.year_records.values_list("year", flat=True)) == [2026]
    assert following.plan == new and following.table.sector == project.sector
    assert list(project.year_records.values_list("year", flat=True)) == records
    assert not following.year_records.filter(year__lt=2026).exists()
    # Past its plan the old project opens no more years: the new one reports.
    assert project not in projects_to_open(old, 2027)


def test_the_command_reports_and_is_idempotent(db):
    _load_next_plan()
    first, second = StringIO(), StringIO()
    call_command("carry_over", old=OLD, new=NEW, today=LOAD_DAY, stdout=first)
    call_command("carry_over", old=OLD, new=NEW, today=LOAD_DAY, stdout=second)
    assert "在新规划中新建续建项目：123" in first.getvalue()
    assert "无变化" in second.getvalue()
