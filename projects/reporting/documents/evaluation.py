"""The plan's evaluation report (终期评估 / 中期评估): shipped template, context.

The year's rates are those of the statistics for the whole year (the API's
``/statistics/?period=YEAR``); the completion tables add up the plan's years.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from portfolio.models import Plan
from projects.models import Project

from ..bulletin import problems_awaiting
from ..evaluation import Grade, evaluation_summary, phase_columns
from ..models import ReportKind
from ..periods import YEAR, StatPeriod
from ..ranking import ranking_build
from ..statistics import statistics_build
from ..summary import statistics_summary
from . import charts, official
from .monthly import _phase_counts, _unit_text
from .render import image, money, pct

PLACEHOLDER = _("【待填写：%(what)s】")


def _number(value: str | None) -> str:
    """A decimal of the API (a string) without trailing zeros; — for none."""
    if value is None:
        return "—"
    return format(Decimal(value).normalize(), "f")


def _indicators_part(doc) -> None:
    official.title(doc, "{{ title }}")
    official.centred(doc, "{{ issuer }}    {{ issued }}")
    official.text(
        doc,
        _("本报告评估{{ plan_name }}（{{ plan_years }}）截至{{ year }}年的实施情况。"),
    )
    official.heading(doc, _("一、主要指标完成情况"))
    official.loop_table(
        doc,
        [_("指标"), _("单位"), _("基期值"), _("期末目标"), _("最新审核值"), _("评价")],
        "i in indicators",
        [
            "{{ i.name }}",
            "{{ i.unit }}",
            "{{ i.baseline }}",
            "{{ i.target }}",
            "{{ i.value }}",
            "{{ i.grade }}",
        ],
    )
    official.text(doc, _("评价结果：{{ grade_summary }}。"))


def _projects_part(doc) -> None:
    official.heading(doc, _("二、重大项目推进情况"))
    official.heading(doc, _("（一）总体情况"), level=2)
    official.text(
        doc,
        _(
            "规划重大项目{{ total.projects }}个，至{{ year }}年已竣工"
            "{{ total.completed }}个，完工率{{ total.completion_rate }}；规划期累计"
            "计划投资{{ total.planned }}万元，累计完成{{ total.done }}万元，完成率"
            "{{ total.investment_rate }}。{{ year }}年开工率{{ stats.start_rate }}，"
            "竣工率{{ stats.completion_rate }}，按时报送率{{ stats.on_time_rate }}。"
        ),
    )
    official.picture(doc, "{{ chart_phases }}")
    for key, label in (
        ("table", _("（二）分项目表")),
        ("district", _("（三）分县区")),
    ):
        official.heading(doc, label, level=2)
        official.loop_table(
            doc,
            [
                _("单位"),
                _("项目数"),
                _("已竣工"),
                _("完工率"),
                _("计划投资（万元）"),
                _("完成投资（万元）"),
                _("投资完成率"),
            ],
            f"u in units.{key}",
            [
                "{{ u.name }}",
                "{{ u.projects }}",
                "{{ u.completed }}",
                "{{ u.completion_rate }}",
                "{{ u.planned }}",
                "{{ u.done }}",
                "{{ u.investment_rate }}",
            ],
        )
    official.heading(doc, _("（四）项目阶段分布"), level=2)
    official.loop_table(
        doc,
        [_("项目表"), *[label for _c, label in phase_columns()]],
        "u in phase_rows",
        [
            "{{ u.name }}",
            *[f"{{{{ u.phases[{n}] }}}}" for n in range(len(phase_columns()))],
        ],
    )


def _rest_part(doc) -> None:
    official.heading(doc, _("三、服务业集聚区建设情况"))
    official.loop_table(
        doc,
        [
            _("集聚区"),
            _("等级"),
            _("规划产值（亿元/年）"),
            _("项目数"),
            _("已竣工"),
            _("完成投资（万元）"),
            _("投资完成率"),
        ],
        "c in clusters",
        [
            "{{ c.name }}",
            "{{ c.level }}",
            "{{ c.output }}",
            "{{ c.projects }}",
            "{{ c.completed }}",
            "{{ c.done }}",
            "{{ c.investment_rate }}",
        ],
    )
    official.heading(doc, _("四、结转项目情况"))
    official.text(doc, "{{ carry_note }}")
    official.tag(doc, "{%p if carried %}")
    official.loop_table(
        doc,
        [_("项目"), _("名称"), _("县区"), _("责任单位"), _("建设年限")],
        "p in carried",
        [
            "{{ p.reference }}",
            "{{ p.name }}",
            "{{ p.district }}",
            "{{ p.department }}",
            "{{ p.period }}",
        ],
    )
    official.tag(doc, "{%p endif %}")
    official.heading(doc, _("五、存在的问题"))
    official.text(
        doc,
        _(
            "规划期内共提出协调问题{{ problems.raised }}个，已解决"
            "{{ problems.solved }}个（平均用时{{ problems.days }}天），尚未解决"
            "{{ problems.open }}个。"
        ),
    )
    official.tag(doc, "{%p if open_problems %}")
    official.loop_table(
        doc,
        [_("项目"), _("问题"), _("牵头单位"), _("提出日期"), _("状态")],
        "q in open_problems",
        [
            "{{ q.reference }}",
            "{{ q.description }}",
            "{{ q.owner }}",
            "{{ q.raised_on }}",
            "{{ q.state }}",
        ],
    )
    official.tag(doc, "{%p endif %}")
    official.text(doc, "{{ placeholder_problems }}")
    official.heading(doc, _("六、下一步工作建议"))
    official.text(doc, _("以下数据可作为编制下一期规划的参考："))
    official.tag(doc, "{%p for f in supporting %}")
    official.text(doc, "{{ loop.index }}. {{ f }}")
    official.tag(doc, "{%p endfor %}")
    official.text(doc, "{{ placeholder_suggestions }}")
    official.text(doc, "{{ placeholder_closing }}")


def evaluation_template() -> bytes:
    """The shipped template of the evaluation report (GB/T 9704 layout)."""
    doc = official.document()
    _indicators_part(doc)
    _projects_part(doc)
    _rest_part(doc)
    return official.as_bytes(doc)


def _completion_text(unit: dict) -> dict:
    """A unit of the API's ``completion`` in the document's words."""
    return {
        "name": unit["name"],
        "projects": unit["projects"],
        "completed": unit["completed"],
        "completion_rate": pct(unit["completion_rate"]),
        "planned": money(unit["planned"]),
        "done": money(unit["done"]),
        "investment_rate": pct(unit["investment_rate"]),
        "phases": [
            unit["phases"][code or "not_reported"] for code, _l in phase_columns()
        ],
        "level": unit.get("level_display", ""),
        "output": _number(unit.get("planned_output")),
    }


def _indicator_text(row: dict) -> dict:
    value = _number(row["value"])
    if row["value_year"]:
        value += _("（%(y)s年）") % {"y": row["value_year"]}
    return {
        "name": row["name"],
        "unit": row["unit"],
        "baseline": _number(row["baseline"]),
        "target": row["target"],
        "value": value,
        "grade": row["grade_display"],
    }


def _supporting(summary: dict) -> list[str]:
    total, grades = summary["completion"]["all"], summary["grades"]
    return [
        _("重大项目完工率%(rate)s，累计投资完成率%(inv)s。")
        % {
            "rate": pct(total["completion_rate"]),
            "inv": pct(total["investment_rate"]),
        },
        _("主要指标%(n)s项，其中滞后%(behind)s项、未报送%(missing)s项。")
        % {
            "n": len(summary["indicators"]),
            "behind": grades[Grade.BEHIND],
            "missing": grades[Grade.NOT_REPORTED],
        },
        _("未完成、需结转下一规划期的项目%(n)s个。")
        % {"n": len(summary["carried_over"]["projects"])},
        _("尚未解决的协调问题%(n)s个。") % {"n": summary["problems"]["open"]},
    ]


def _carried(codes: list[str]) -> list[dict]:
    projects = Project.objects.filter(code__in=codes).select_related(
        "district", "department"
    )
    return [
        {
            "reference": p.reference,
            "name": p.name,
            "district": p.district.name,
            "department": p.department.name,
            "period": p.period,
        }
        for p in projects.order_by("table", "number")
    ]


def _carry_note(recorded: bool, year: int) -> str:
    if recorded:
        return _("以下为转入下一规划期续建的项目。")
    return _(
        "系统中尚无结转（续建）数据；以下列出截至%(y)s年未竣工、未投运且未取消、"
        "应结转下一规划期的项目。"
    ) % {"y": year}


def _title(plan: Plan, kind: str) -> str:
    if kind == ReportKind.FINAL:
        return _("%(plan)s实施情况终期评估报告") % {"plan": plan.name}
    return _("%(plan)s实施情况中期评估报告") % {"plan": plan.name}


def evaluation_context(plan: Plan, *, kind: str, year: int | None, today: dt.date):
    """The context builder of the final (``year``: the plan's last) or mid-term
    evaluation. Its figures are the API's (``evaluation_summary``, and the
    statistics of the whole year)."""
    if kind == ReportKind.FINAL or year is None:
        year = plan.end_year
    period = StatPeriod(YEAR, year, 0)
    stats = statistics_build(plan, period, today=today)
    data = statistics_summary(stats, ranking_build(plan, period, stats=stats))
    summary = evaluation_summary(plan, year)
    done = summary["completion"]
    problems = summary["problems"]
    context = {
        "title": _title(plan, kind),
        "issuer": plan.issuer,
        "issued": today.isoformat(),
        "plan_name": plan.name,
        "plan_years": f"{plan.start_year}—{plan.end_year}",
        "year": year,
        "indicators": [_indicator_text(row) for row in summary["indicators"]],
        "grade_summary": _("，").join(
            _("%(label)s%(n)s项") % {"label": Grade.LABELS[g], "n": n}
            for g, n in summary["grades"].items()
        ),
        "total": _completion_text(done["all"]),
        "stats": _unit_text(data["total"]),
        "units": {
            k: [_completion_text(u) for u in done[k]] for k in done if k != "all"
        },
        "phase_rows": [_completion_text(u) for u in done["table"]],
        "clusters": [_completion_text(u) for u in done["cluster"]],
        "carry_note": _carry_note(summary["carried_over"]["recorded"], year),
        "carried": _carried(summary["carried_over"]["projects"]),
        "problems": {**problems, "days": problems["average_solve_days"] or "—"},
        "open_problems": problems_awaiting(plan, today),
        "placeholder_problems": PLACEHOLDER % {"what": _("问题成因分析")},
        "supporting": _supporting(summary),
        "placeholder_suggestions": PLACEHOLDER % {"what": _("下一期规划的建议")},
        "placeholder_closing": PLACEHOLDER % {"what": _("结语")},
    }

    def build(template) -> dict:
        title = _("%(year)s年各项目表项目阶段") % {"year": year}
        phases = charts.phase_chart(*_phase_counts(plan, year), title)
        return {**context, "chart_phases": image(template, phases)}

    return build, {"statistics": data, "evaluation": summary}
