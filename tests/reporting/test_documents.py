"""The bulletin and the evaluation open with python-docx, and their tables hold
the API's figures for the same plan and period."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import docx
import pytest
from django.core.management import call_command

from indicators.models import Indicator, IndicatorValue
from portfolio.choices import ReviewState
from projects.reporting.documents.render import pct
from projects.reporting.evaluation import Grade, indicator_grade
from projects.reporting.models import ReportKind
from projects.reporting.periods import period_parse
from projects.reporting.reports import report_render
from tests.reporting.support import generate_reports

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)


def _open(content: bytes):
    return docx.Document(io.BytesIO(content))


def _text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def _rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def _table(document, first_header: str, second: str):
    for table in document.tables:
        headers = [c.text for c in table.rows[0].cells]
        if headers[:2] == [first_header, second]:
            yield table


@pytest.fixture
def reported(plan, settings):
    settings.PROJECTS_PROGRESS_SINCE = dt.date(2026, 1, 1)
    generate_reports(plan)
    return plan


def test_bulletin_tables_hold_the_apis_figures(reported, client, supervisor):
    client.force_login(supervisor)
    api = client.get(
        "/api/v1/statistics/",
        {"plan": reported.code, "period": "2026-11", "today": TODAY.isoformat()},
    ).json()
    content = report_render(
        plan=reported,
        kind=ReportKind.MONTHLY,
        period=period_parse("2026-11"),
        today=TODAY,
    )
    document = _open(content)
    text = _text(document)
    assert "调度通报" in text and "（2026年11月）" in text
    for heading in [
        "一、总体情况",
        "二、赛马比拼",
        "三、分县区推进情况",
        "四、红灯项目",
    ]:
        assert heading in text
    total = api["total"]
    assert f"开工率{pct(total['rates']['start_rate']['value'])}" in text
    assert f"按时报送率{pct(total['rates']['on_time_rate']['value'])}" in text
    assert f"序时进度{pct(api['schedule'])}" in text
    (districts,) = _table(document, "县区", "开工率")
    assert _rows(districts) == [
        [
            u["name"],
            pct(u["rates"]["start_rate"]["value"]),
            pct(u["rates"]["investment_rate"]["value"]),
            pct(u["rates"]["completion_rate"]["value"]),
            pct(u["rates"]["on_time_rate"]["value"]),
            str(u["counts"]["problems_raised"]["value"]),
        ]
        for u in api["units"]["district"]
    ]
    leagues = list(_table(document, "名次", "单位"))
    assert len(leagues) == 2
    for table, league in zip(leagues, api["ranking"], strict=True):
        assert [(r[0], r[1], r[2]) for r in _rows(table)] == [
            (str(s["rank"] or "—"), s["name"], s["score"] or "—")
            for s in league["standings"]
        ]
    (late,) = _table(document, "项目", "名称")
    due = int(total["rates"]["on_time_rate"]["denominator"])
    on_time = int(total["rates"]["on_time_rate"]["numerator"])
    assert len(_rows(late)) == due - on_time
    assert len(document.inline_shapes) == 2  # the two charts


def test_bulletin_for_a_period_without_reports_says_so(plan, tmp_path):
    out = tmp_path / "bulletin.docx"
    call_command(
        "plan_report",
        "--plan",
        plan.code,
        "--kind",
        "monthly",
        "--period",
        "2026-11",
        "--today",
        TODAY.isoformat(),
        "--out",
        str(out),
    )
    document = docx.Document(str(out))
    text = _text(document)
    assert "无项目报送年度报告或进度更新，本期不通报统计结果" in text
    assert "本期无报送数据，不作排名" in text
    assert "开工率0.0%" not in text
    assert not list(_table(document, "名次", "单位"))


def test_final_evaluation_structure(reported, tmp_path):
    out = tmp_path / "final.docx"
    call_command(
        "plan_report",
        "--kind",
        "final",
        "--today",
        TODAY.isoformat(),
        "--out",
        str(out),
    )
    document = docx.Document(str(out))
    text = _text(document)
    assert "实施情况终期评估报告" in text
    for heading in [
        "一、主要指标完成情况",
        "二、重大项目推进情况",
        "三、服务业集聚区建设情况",
        "四、结转项目情况",
        "五、存在的问题",
        "六、下一步工作建议",
    ]:
        assert heading in text
    assert "系统中尚无结转（续建）数据" in text
    assert text.count("【待填写：") == 3
    (indicators,) = _table(document, "指标", "单位")
    assert len(_rows(indicators)) == Indicator.objects.filter(plan=reported).count()
    (tables,) = [
        t for t in _table(document, "单位", "项目数") if _rows(t)[0][0] == "表1"
    ]
    assert sum(int(r[1]) for r in _rows(tables)) == 135


def test_midterm_takes_a_year(reported, tmp_path):
    out = tmp_path / "mid.docx"
    call_command(
        "plan_report", "--kind", "midterm", "--year", "2023", "--out", str(out)
    )
    text = _text(docx.Document(str(out)))
    assert "中期评估报告" in text and "截至2023年" in text


def _value(indicator, year, value, state=ReviewState.APPROVED):
    from portfolio.models import Department

    department = indicator.department or Department.objects.order_by("pk").first()
    return IndicatorValue.objects.create(
        indicator=indicator,
        year=year,
        value=Decimal(value),
        state=state,
        department=department,
    )


@pytest.mark.parametrize(
    ("value", "grade"),
    [("52.5", Grade.AHEAD), ("52.0", Grade.ON_TRACK), ("51.0", Grade.BEHIND)],
)
def test_grade_of_a_yearly_indicator(plan, value, grade):
    share = Indicator.objects.get(code="service-share-of-gdp")  # 2023 target: 52
    _value(share, 2023, value)
    result = indicator_grade(share, 2025)
    assert (result.grade, result.value, result.value_year) == (
        grade,
        Decimal(value),
        2023,
    )


def test_grade_of_an_end_target_reached_early_and_unreported(plan):
    visitors = Indicator.objects.get(code="tourism-visitors")  # 8000 以上
    assert indicator_grade(visitors, 2025).grade == Grade.NOT_REPORTED
    _value(visitors, 2024, "8100")
    assert indicator_grade(visitors, 2025).grade == Grade.REACHED
    # A draft is not reported.
    share = Indicator.objects.get(code="service-share-of-gdp")
    _value(share, 2024, "60", state=ReviewState.DRAFT)
    assert indicator_grade(share, 2025).grade == Grade.NOT_REPORTED


def test_grade_of_a_ceiling_is_judged_lower_is_better(plan):
    cost = Indicator.objects.get(code="logistics-cost-ratio")  # 控制在18%以内
    _value(cost, 2024, "17.5")
    assert indicator_grade(cost, 2025).grade == Grade.REACHED
    IndicatorValue.objects.filter(indicator=cost).update(value=Decimal("18.0"))
    assert indicator_grade(cost, 2025).grade == Grade.REACHED  # 以内: 18 is in
    IndicatorValue.objects.filter(indicator=cost).update(value=Decimal("19.5"))
    assert indicator_grade(cost, 2025).grade != Grade.REACHED


def test_evaluation_tables_hold_the_apis_figures(reported, client, supervisor):
    share = Indicator.objects.get(code="service-share-of-gdp")
    _value(share, 2023, "52.5")
    client.force_login(supervisor)
    api = client.get("/api/v1/statistics/evaluation/", {"year": 2025}).json()
    document = _open(report_render(plan=reported, kind=ReportKind.FINAL, today=TODAY))
    (indicators,) = _table(document, "指标", "单位")
    rows = _rows(indicators)
    assert [(r[0], r[5]) for r in rows] == [
        (i["name"], i["grade_display"]) for i in api["indicators"]
    ]
    assert ("服务业增加值占GDP的比重", "超进度") in [(r[0], r[5]) for r in rows]
    tables = {_rows(t)[0][0]: t for t in _table(document, "单位", "项目数") if _rows(t)}
    for dimension, first in (("table", "表1"), ("district", "巴州区")):
        assert [r[:4] for r in _rows(tables[first])] == [
            [
                u["name"],
                str(u["projects"]),
                str(u["completed"]),
                pct(u["completion_rate"]),
            ]
            for u in api["completion"][dimension]
        ]
    (clusters,) = _table(document, "集聚区", "等级")
    assert [(r[0], r[3], r[6]) for r in _rows(clusters)] == [
        (c["name"], str(c["projects"]), pct(c["investment_rate"]))
        for c in api["completion"]["cluster"]
    ]
    (carried,) = [t for t in _table(document, "项目", "名称") if len(t.columns) == 5]
    assert len(_rows(carried)) == len(api["carried_over"]["projects"])
    assert api["carried_over"]["recorded"] is False
