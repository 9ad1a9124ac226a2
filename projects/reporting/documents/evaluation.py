"""The plan's evaluation report (终期评估 / 中期评估): shipped template, context.

The year's rates are those of the statistics for the whole year (the API's
``/statistics/?period=YEAR``); the completion tables add up the plan's years.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, F, Q
from django.utils.translation import gettext as _

from portfolio.models import Cluster, Plan
from projects.dossier.models import CoordinationProblem

from .. import scope
from ..bulletin import problems_awaiting
from ..evaluation import (
    Grade,
    carry_over,
    completion,
    indicator_grades,
    phase_columns,
)
from ..models import ReportKind
from ..periods import YEAR, StatPeriod
from ..ranking import ranking_build
from ..statistics import statistics_build
from ..summary import statistics_summary
from . import charts, official
from .monthly import _phase_counts, _unit_text
from .render import image, money, pct

PLACEHOLDER = _("【待填写：%(what)s】")


def _number(value) -> str:
    return "—" if value is None else format(value.normalize(), "f")


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


def _completion_text(unit) -> dict:
    return {
        "name": unit.name,
        "projects": unit.projects,
        "completed": unit.completed,
        "completion_rate": pct(unit.completion_rate),
        "planned": money(unit.planned),
        "done": money(unit.done),
        "investment_rate": pct(unit.investment_rate),
        "phases": [unit.phases.get(code, 0) for code, _l in phase_columns()],
    }


def _problems(plan: Plan, year: int) -> dict:
    problems = CoordinationProblem.objects.filter(
        scope.active_q(plan, "project__"), raised_on__year__lte=year
    )
    solved = problems.filter(solved_at__isnull=False)
    counts = problems.aggregate(
        raised=Count("id"), solved=Count("id", filter=Q(solved_at__isnull=False))
    )
    days = solved.aggregate(d=Avg(F("solved_at__date") - F("raised_on")))["d"]
    return {
        "raised": counts["raised"],
        "solved": counts["solved"],
        "open": counts["raised"] - counts["solved"],
        "days": "—" if days is None else f"{days.total_seconds() / 86400:.1f}",
    }


def _clusters(plan: Plan, units) -> list[dict]:
    info = {c.code: c for c in Cluster.objects.filter(plan=plan)}
    return [
        {
            "name": u.name,
            "level": info[u.code].get_level_display(),
            "output": _number(info[u.code].planned_output),
            "projects": u.projects,
            "completed": u.completed,
            "done": money(u.done),
            "investment_rate": pct(u.investment_rate),
        }
        for u in units
    ]


def _supporting(total, grades, carried, problems) -> list[str]:
    counts = {g: sum(1 for i in grades if i.grade == g) for g in Grade.LABELS}
    return [
        _("重大项目完工率%(rate)s，累计投资完成率%(inv)s。")
        % {"rate": pct(total.completion_rate), "inv": pct(total.investment_rate)},
        _("主要指标%(n)s项，其中滞后%(behind)s项、未报送%(missing)s项。")
        % {
            "n": len(grades),
            "behind": counts[Grade.BEHIND],
            "missing": counts[Grade.NOT_REPORTED],
        },
        _("未完成、需结转下一规划期的项目%(n)s个。") % {"n": len(carried)},
        _("尚未解决的协调问题%(n)s个。") % {"n": problems["open"]},
    ]


def _carried(project) -> dict:
    return {
        "reference": project.reference,
        "name": project.name,
        "district": project.district.name,
        "department": project.department.name,
        "period": project.period,
    }


def evaluation_context(plan: Plan, *, kind: str, year: int | None, today: dt.date):
    """The context builder of the final (``year``: the plan's last) or mid-term
    evaluation."""
    if kind == ReportKind.FINAL or year is None:
        year = plan.end_year
    period = StatPeriod(YEAR, year, 0)
    stats = statistics_build(plan, period, today=today)
    data = statistics_summary(stats, ranking_build(plan, period, stats=stats))
    grades = indicator_grades(plan, year)
    units = completion(plan, year)
    total = units["all"][0]
    carried, recorded = carry_over(plan, year)
    problems = _problems(plan, year)
    title = (
        _("%(plan)s实施情况终期评估报告")
        if kind == ReportKind.FINAL
        else _("%(plan)s实施情况中期评估报告")
    ) % {"plan": plan.name}
    counts = {g: sum(1 for i in grades if i.grade == g) for g in Grade.LABELS}
    context = {
        "title": title,
        "issuer": plan.issuer,
        "issued": today.isoformat(),
        "plan_name": plan.name,
        "plan_years": f"{plan.start_year}—{plan.end_year}",
        "year": year,
        "indicators": [
            {
                "name": g.indicator.name,
                "unit": g.indicator.unit,
                "baseline": _number(g.baseline),
                "target": g.target,
                "value": _number(g.value)
                + (_("（%(y)s年）") % {"y": g.value_year} if g.value_year else ""),
                "grade": g.grade_label,
            }
            for g in grades
        ],
        "grade_summary": _("，").join(
            _("%(label)s%(n)s项") % {"label": Grade.LABELS[g], "n": n}
            for g, n in counts.items()
        ),
        "total": _completion_text(total),
        "stats": _unit_text(data["total"]),
        "units": {
            k: [_completion_text(u) for u in units[k]] for k in ("table", "district")
        },
        "phase_rows": [_completion_text(u) for u in units["table"]],
        "clusters": _clusters(plan, units["cluster"]),
        "carry_note": (
            _("以下为转入下一规划期续建的项目。")
            if recorded
            else _(
                "系统中尚无结转（续建）数据；以下列出截至%(y)s年未竣工、未投运且未取消、"
                "应结转下一规划期的项目。"
            )
            % {"y": year}
        ),
        "carried": [_carried(p) for p in carried],
        "problems": problems,
        "open_problems": problems_awaiting(plan, today),
        "placeholder_problems": PLACEHOLDER % {"what": _("问题成因分析")},
        "supporting": _supporting(total, grades, carried, problems),
        "placeholder_suggestions": PLACEHOLDER % {"what": _("下一期规划的建议")},
        "placeholder_closing": PLACEHOLDER % {"what": _("结语")},
    }

    def build(template) -> dict:
        title = _("%(year)s年各项目表项目阶段") % {"year": year}
        phases = charts.phase_chart(*_phase_counts(plan, year), title)
        return {**context, "chart_phases": image(template, phases)}

    return build, {"statistics": data, "context": context}
