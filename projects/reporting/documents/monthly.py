"""The monthly dispatch bulletin (调度通报): its shipped template and context.

Every figure comes from the statistics' JSON (``summary.statistics_summary``),
the one the API answers for the same plan and period. A period in which
nothing was reported says so instead of showing zeros as results.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.utils.translation import gettext as _

from portfolio.models import Plan
from projects.choices import Phase, phase_label

from .. import scope
from ..bulletin import late_items, problems_awaiting, red_projects
from ..evaluation import reported_phases
from ..periods import StatPeriod
from ..ranking import ranking_build
from ..statistics import statistics_build
from ..summary import statistics_summary
from . import charts, official
from .render import image, money, pct


def _overview(doc) -> None:
    official.title(doc, _("{{ plan_name }}重大项目调度通报"))
    official.centred(doc, _("（{{ period_label }}）"))
    official.centred(doc, "{{ issuer }}    {{ issued }}")
    official.heading(doc, _("一、总体情况"))
    official.tag(doc, "{%p if no_reports %}")
    official.text(
        doc, _("{{ period_label }}无项目报送年度报告或进度更新，本期不通报统计结果。")
    )
    official.tag(doc, "{%p else %}")
    official.text(
        doc,
        _(
            "截至{{ as_of }}，纳入调度的项目{{ total.projects }}个。应开工项目"
            "{{ total.due_start }}个，已开工{{ total.started }}个，开工率"
            "{{ total.start_rate }}；年度计划投资{{ total.planned }}万元，累计完成"
            "{{ total.done }}万元，投资完成率{{ total.investment_rate }}，序时进度"
            "{{ schedule }}；应竣工项目{{ total.due_end }}个，已竣工"
            "{{ total.completed }}个，竣工率{{ total.completion_rate }}；应报送"
            "{{ total.due }}项，按时报送{{ total.on_time }}项，按时报送率"
            "{{ total.on_time_rate }}。本期新提出问题{{ total.raised }}个，"
            "解决{{ total.solved }}个（平均用时{{ total.solve_days }}天），"
            "待协调{{ total.open }}个，协调中{{ total.handling }}个。"
        ),
    )
    official.tag(doc, "{%p endif %}")


def _ranking_and_districts(doc) -> None:
    official.heading(doc, _("二、赛马比拼"))
    official.tag(doc, "{%p if no_reports %}")
    official.text(doc, _("本期无报送数据，不作排名。"))
    official.tag(doc, "{%p else %}")
    for key, label in (
        ("district", _("（一）县区")),
        ("department", _("（二）市级部门")),
    ):
        official.heading(doc, label, level=2)
        official.loop_table(
            doc,
            [
                _("名次"),
                _("单位"),
                _("得分"),
                _("开工率得分"),
                _("投资完成率得分"),
                _("竣工率得分"),
                _("按时报送率得分"),
                _("较上期"),
            ],
            f"r in ranking.{key}",
            [
                "{{ r.rank }}",
                "{{ r.name }}",
                "{{ r.score }}",
                "{{ r.parts.0 }}",
                "{{ r.parts.1 }}",
                "{{ r.parts.2 }}",
                "{{ r.parts.3 }}",
                "{{ r.change }}",
            ],
        )
    official.text(doc, _("注：{{ ranking_note }}"))
    official.tag(doc, "{%p endif %}")
    official.heading(doc, _("三、分县区推进情况"))
    official.tag(doc, "{%p if no_reports %}")
    official.text(doc, _("本期无报送数据，不作分县区统计。"))
    official.tag(doc, "{%p else %}")
    official.loop_table(
        doc,
        [
            _("县区"),
            _("开工率"),
            _("投资完成率"),
            _("竣工率"),
            _("按时报送率"),
            _("新提出问题"),
        ],
        "u in districts",
        [
            "{{ u.name }}",
            "{{ u.start_rate }}",
            "{{ u.investment_rate }}",
            "{{ u.completion_rate }}",
            "{{ u.on_time_rate }}",
            "{{ u.raised }}",
        ],
    )
    official.picture(doc, "{{ chart_investment }}")
    official.tag(doc, "{%p endif %}")
    official.picture(doc, "{{ chart_phases }}")


def _lists(doc) -> None:
    official.heading(doc, _("四、红灯项目"))
    official.tag(doc, "{%p if red %}")
    official.loop_table(
        doc,
        [_("项目"), _("名称"), _("县区"), _("原因")],
        "p in red",
        ["{{ p.reference }}", "{{ p.name }}", "{{ p.district }}", "{{ p.reasons }}"],
    )
    official.tag(doc, "{%p else %}")
    official.text(doc, _("本期无红灯项目。"))
    official.tag(doc, "{%p endif %}")
    official.heading(doc, _("五、待协调解决的问题"))
    official.tag(doc, "{%p if problems %}")
    official.loop_table(
        doc,
        [_("项目"), _("问题"), _("牵头单位"), _("提出日期"), _("状态"), _("已历天数")],
        "q in problems",
        [
            "{{ q.reference }}",
            "{{ q.description }}",
            "{{ q.owner }}",
            "{{ q.raised_on }}",
            "{{ q.state }}",
            "{{ q.days }}",
        ],
    )
    official.tag(doc, "{%p else %}")
    official.text(doc, _("目前无待协调的问题。"))
    official.tag(doc, "{%p endif %}")
    official.heading(doc, _("六、未按时报送情况"))
    official.tag(doc, "{%p if late %}")
    official.loop_table(
        doc,
        [_("项目"), _("名称"), _("责任单位"), _("应报事项"), _("截止日"), _("情况")],
        "x in late",
        [
            "{{ x.reference }}",
            "{{ x.name }}",
            "{{ x.department }}",
            "{{ x.item }}",
            "{{ x.due_date }}",
            "{{ x.status }}",
        ],
    )
    official.tag(doc, "{%p else %}")
    official.text(doc, _("本期应报事项均已按时报送。"))
    official.tag(doc, "{%p endif %}")


def monthly_template() -> bytes:
    """The shipped template (GB/T 9704 layout, docxtpl tags)."""
    doc = official.document()
    _overview(doc)
    _ranking_and_districts(doc)
    _lists(doc)
    return official.as_bytes(doc)


def _unit_text(unit: dict) -> dict:
    counts, rates = unit["counts"], unit["rates"]
    return {
        "name": unit["name"],
        "projects": None,
        "due_start": counts["due_start"]["value"],
        "started": counts["started"]["value"],
        "start_rate": pct(rates["start_rate"]["value"]),
        "planned": money(counts["planned_investment"]["value"]),
        "done": money(counts["completed_investment"]["value"]),
        "investment_rate": pct(rates["investment_rate"]["value"]),
        "due_end": counts["due_end"]["value"],
        "completed": counts["completed"]["value"],
        "completion_rate": pct(rates["completion_rate"]["value"]),
        "due": rates["on_time_rate"]["denominator"],
        "on_time": rates["on_time_rate"]["numerator"],
        "on_time_rate": pct(rates["on_time_rate"]["value"]),
        "raised": counts["problems_raised"]["value"],
        "solved": counts["problems_solved"]["value"],
        "open": counts["problems_open"]["value"],
        "handling": counts["problems_handling"]["value"],
        "solve_days": unit["average_solve_days"] or "—",
    }


def _change(change: int | None) -> str:
    if change is None:
        return "—"
    if change > 0:
        return _("上升%(n)s位") % {"n": change}
    if change < 0:
        return _("下降%(n)s位") % {"n": -change}
    return _("持平")


def _standings(league: dict) -> list[dict]:
    return [
        {
            "rank": s["rank"] or "—",
            "name": s["name"],
            "score": s["score"] or "—",
            "parts": [p["points"] or "—" for p in s["parts"]],
            "change": _change(s["change"]),
        }
        for s in league["standings"]
    ]


def _phase_counts(plan: Plan, year: int) -> tuple[list, list, dict]:
    """Projects by table × phase as last reported for a year up to ``year``
    (the phase the statistics count)."""
    reported = reported_phases(plan, year)
    rows = scope.plan_projects(plan).values_list("pk", scope.TABLE_FIELD)
    counts = Counter((scope.table_label(t), reported.get(pk, "")) for pk, t in rows)
    tables = [label for _v, label in scope.plan_tables(plan)]
    phases = [(str(p), str(p.label)) for p in Phase] + [("", phase_label(""))]
    return tables, phases, dict(counts)


def monthly_context(plan: Plan, period: StatPeriod, today: dt.date):
    """The context builder for ``render``: it needs the template for images."""
    stats = statistics_build(plan, period, today=today)
    leagues = ranking_build(plan, period, stats=stats)
    data = statistics_summary(stats, leagues)
    total = _unit_text(data["total"])
    total["projects"] = len(stats.facts)
    districts = [_unit_text(u) for u in data["units"]["district"]]

    def build(template) -> dict:
        rows = [(u.name, u.rate("investment_rate")) for u in stats.units["district"]]
        investment = charts.investment_chart(
            rows,
            stats.schedule,
            _("投资完成率与序时进度（虚线）·分县区"),
        )
        title = _("%(year)s年各项目表项目阶段") % {"year": period.year}
        phases = charts.phase_chart(*_phase_counts(plan, period.year), title)
        return {
            "plan_name": plan.name,
            "issuer": plan.issuer,
            "issued": today.isoformat(),
            "period_label": period.label,
            "as_of": min(period.end, today).isoformat(),
            "no_reports": not data["reported"],
            "schedule": pct(data["schedule"]),
            "total": total,
            "districts": districts,
            "ranking": {lg["league"]: _standings(lg) for lg in data["ranking"]},
            "ranking_note": _(
                "得分为开工率、投资完成率（对序时进度）、竣工率、按时报送率的加权"
                "得分（满分100），各列为该项所得分数。"
            ),
            "chart_investment": image(template, investment),
            "chart_phases": image(template, phases),
            "red": red_projects(plan),
            "problems": problems_awaiting(plan, today),
            "late": [item.__dict__ for item in late_items(plan, period, today)],
        }

    return build, data
