"""The traffic light (红绿灯): each project green, yellow or red, with its reasons.

The rules are rows of ``HealthRule`` that supervisors read and change in the
admin. A rule fires when the project's measure is *more than* its threshold:

- 累计投资落后年度计划: the year's cumulative investment (the year record's
  actual investment, fed by progress updates) is behind the plan's pro-rata
  share for the periods already due, by more than X %;
- 进度更新逾期: a progress update is missing more than Y days after its due date;
- 问题久未解决: a coordination problem has been unsolved for more than Z days;
- 超过完工年仍未完成: the project is more than N years past its end year and not
  finished (N = 0 by default: any year past the end year).

The project's light is the worst light among its fired rules (green if none).

``health_for`` computes lights for any set of projects in a constant number of
queries; ``health_refresh`` stores them (``ProjectHealth``, so lists filter on
the light), writes a history row for each change of light, and calls
``on_project_turned_red`` once for the projects that have just turned red.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.authorization import authorize
from portfolio.choices import AuditAction, Role
from portfolio.services import Actor, audit_log, diff, snapshot
from projects.choices import DONE_PHASES, HealthLight, phase_label
from projects.dossier.choices import (
    HEALTH_ORDER,
    PROGRESS_EXEMPT_PHASES,
    UNSOLVED_PROBLEM_STATES,
    HealthRuleKind,
)
from projects.dossier.models import CoordinationProblem, HealthRule, ProjectHealth
from projects.dossier.selectors import (
    progress_periods_elapsed,
    progress_updates_overdue,
)
from projects.models import Project, YearRecord

logger = logging.getLogger(__name__)

# Sent (after commit) with ``project_ids`` when projects have just turned red.
# The alerts app receives it (``projects.alerts.receivers``) and opens a notice to
# each project's supervisors; see docs/dossier.md.
project_turned_red = Signal()

# The actor named in history when a write elsewhere refreshes the light.
HEALTH_ACTOR = _("系统 红绿灯")  # health_refresh makes it a str for the audit
REFRESH_ACTOR = _("定时任务 health_refresh")


@dataclass(frozen=True)
class Health:
    """A project's light and the reasons for it, in a supervisor's words."""

    light: HealthLight
    reasons: tuple[str, ...] = ()


@dataclass
class _Facts:
    """What the rules look at, for one project."""

    end_year: int
    phase: str
    cadence: str
    planned: Decimal | None = None
    actual: Decimal | None = None
    record_phase: str = ""
    overdue_period: str = ""
    overdue_days: int | None = None
    overdue_count: int = 0
    problems_open: int = 0
    oldest_problem_days: int | None = None


@dataclass
class RefreshReport:
    computed: int = 0
    changed: dict[int, tuple[str, str]] = field(default_factory=dict)
    turned_red: list[int] = field(default_factory=list)


def _worse(a: HealthLight, b: HealthLight) -> HealthLight:
    return max(a, b, key=HEALTH_ORDER.index)


def _number(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():f}"


def _measure(
    kind: HealthRuleKind, facts: _Facts, today: dt.date
) -> tuple[Decimal, str] | None:
    """The project's measure for a rule kind and how to say it, or None (n/a)."""
    if kind == HealthRuleKind.INVESTMENT_BEHIND:
        if not facts.planned or facts.record_phase in PROGRESS_EXEMPT_PHASES:
            return None
        months = progress_periods_elapsed(facts.cadence, today.year, today)
        if months == 0:
            return None
        expected = facts.planned * months / 12
        actual = facts.actual or Decimal("0")
        behind = (expected - actual) / expected * 100
        return behind, str(
            _(
                "本年累计完成投资 %(actual)s 万元，按序时进度（%(months)s 个月）"
                "应完成 %(expected)s 万元，落后 %(behind)s%%"
            )
        ) % {
            "actual": _number(actual),
            "months": months,
            "expected": _number(expected),
            "behind": _number(behind),
        }
    if kind == HealthRuleKind.UPDATE_OVERDUE:
        if facts.overdue_days is None:
            return None
        text = str(_("%(period)s 进度更新逾期 %(days)s 天未报")) % {
            "period": facts.overdue_period,
            "days": facts.overdue_days,
        }
        if facts.overdue_count > 1:
            text += str(_("（共 %(n)s 期未报）")) % {"n": facts.overdue_count}
        return Decimal(facts.overdue_days), text
    if kind == HealthRuleKind.PROBLEM_OPEN:
        if facts.oldest_problem_days is None:
            return None
        return Decimal(facts.oldest_problem_days), str(
            _("%(n)s 个协调问题未解决，最久已 %(days)s 天")
        ) % {"n": facts.problems_open, "days": facts.oldest_problem_days}
    if kind == HealthRuleKind.PAST_END_YEAR:
        if facts.phase in DONE_PHASES or today.year <= facts.end_year:
            return None
        years = today.year - facts.end_year
        # Past its end year a project is never in its first year: 在建（续建）.
        phase = phase_label(facts.phase, year=today.year, start_year=facts.end_year)
        return Decimal(years), str(
            _("计划 %(end)s 年完工，已超期 %(years)s 年仍未完成（当前阶段：%(phase)s）")
        ) % {"end": facts.end_year, "years": years, "phase": phase}
    return None


def judge(facts: _Facts, rules: Iterable[HealthRule], today: dt.date) -> Health:
    """Apply the rules to one project's facts: the worst light, one reason per kind."""
    fired: dict[str, tuple[HealthLight, str]] = {}
    for rule in rules:
        if not rule.active:
            continue
        kind = HealthRuleKind(rule.kind)
        measured = _measure(kind, facts, today)
        if measured is None:
            continue
        value, text = measured
        if value <= rule.threshold:
            continue
        light = HealthLight(rule.light)
        current = fired.get(kind)
        if current is None or HEALTH_ORDER.index(light) > HEALTH_ORDER.index(
            current[0]
        ):
            fired[kind] = (
                light,
                gettext("%(text)s（规则：%(rule)s）")
                % {"text": text, "rule": rule.text},
            )
    light = HealthLight.GREEN
    for rule_light, _text in fired.values():
        light = _worse(rule_light, light)
    ordered = sorted(fired.values(), key=lambda item: -HEALTH_ORDER.index(item[0]))
    return Health(light, tuple(text for _light, text in ordered))


def health_rules() -> list[HealthRule]:
    return list(HealthRule.objects.filter(active=True))


def health_for(
    projects: QuerySet[Project] | Iterable[Project] | Iterable[int],
    *,
    today: dt.date | None = None,
    rules: list[HealthRule] | None = None,
) -> dict[int, Health]:
    """Lights of ``projects`` as of ``today``: six queries whatever their number.

    Accepts a queryset, model instances or ids. Returns ``{project_id: Health}``.
    """
    today = today or timezone.localdate()
    rules = health_rules() if rules is None else rules
    if isinstance(projects, QuerySet):
        base = projects.order_by()
    else:
        ids = [p if isinstance(p, int) else p.pk for p in projects]
        base = Project.objects.filter(pk__in=ids)
    facts = {
        row["id"]: _Facts(
            end_year=row["end_year"],
            phase=row["phase"],
            cadence=row["plan__progress_cadence"],
        )
        for row in base.values("id", "end_year", "phase", "plan__progress_cadence")
    }
    if not facts:
        return {}
    ids = list(facts)
    for row in YearRecord.objects.filter(project_id__in=ids, year=today.year).values(
        "project_id", "planned_investment", "actual_investment", "phase"
    ):
        item = facts[row["project_id"]]
        item.planned = row["planned_investment"]
        item.actual = row["actual_investment"]
        item.record_phase = row["phase"]
    for overdue in progress_updates_overdue(today, project_ids=ids):
        item = facts[overdue.project_id]
        item.overdue_count += 1
        days = overdue.days_overdue(today)
        if item.overdue_days is None or days > item.overdue_days:
            item.overdue_days, item.overdue_period = days, overdue.period
    for row in (
        CoordinationProblem.objects.filter(
            project_id__in=ids, state__in=UNSOLVED_PROBLEM_STATES
        )
        .values("project_id")
        .annotate(n=Count("id"), oldest=Min("raised_on"))
        .order_by()
    ):
        item = facts[row["project_id"]]
        item.problems_open = row["n"]
        item.oldest_problem_days = (today - row["oldest"]).days
    return {pk: judge(item, rules, today) for pk, item in facts.items()}


def on_project_turned_red(project_ids: list[int], today: dt.date | None = None) -> None:
    """Hook called once, after commit, with the projects that have just turned red.

    Sends ``project_turned_red`` (with the day of the refresh, which
    ``scan_deadlines --today`` sets); the alerts app's receiver opens one notice
    for each of the project's supervisors (the dossier may not import the alerts).
    """
    if not project_ids:
        return
    logger.info("projects turned red: %s", project_ids)
    project_turned_red.send(
        sender=ProjectHealth, project_ids=list(project_ids), today=today
    )


def _moment_of(today: dt.date, now: dt.datetime) -> dt.datetime:
    """When a light that changes in a refresh ``today`` changed: now, or, for a
    replayed day (``scan_deadlines --today``), that day at the present time."""
    if today == timezone.localdate(now):
        return now
    return timezone.make_aware(
        dt.datetime.combine(today, timezone.localtime(now).time())
    )


@transaction.atomic
def health_refresh(
    *,
    today: dt.date | None = None,
    project_ids: Iterable[int] | None = None,
    actor: Actor | None = REFRESH_ACTOR,
) -> RefreshReport:
    """Recompute and store the lights of ``project_ids`` (all projects by default).

    Idempotent: a second run the same day changes nothing and notices nothing.
    Each change of light gets a history row on its project (who: ``actor``; why:
    the reasons); projects that have just turned red from another light are
    passed, once, to ``on_project_turned_red`` after the transaction commits (a
    project's first light is recorded but is not a turn).
    """
    actor = str(actor) if isinstance(actor, Promise) else actor  # audit wants a str
    # A system job (the daily scan, the refresh after a write), or a supervisor's.
    authorize(actor=actor, role=Role.SUPERVISOR, system_job=True)
    today = today or timezone.localdate()
    now = timezone.now()
    changed_at = _moment_of(today, now)
    projects = Project.objects.all()
    if project_ids is not None:
        projects = projects.filter(pk__in=list(project_ids))
    lights = health_for(projects, today=today)
    # Lock the stored rows so two refreshes cannot both see the same change.
    stored = {
        row.project_id: row
        for row in ProjectHealth.objects.select_for_update().filter(
            project_id__in=list(lights)
        )
    }
    report = RefreshReport(computed=len(lights))
    rows = []
    for pk, health in lights.items():
        previous = stored.get(pk)
        before = previous.light if previous else ""
        changed = before != health.light
        reasons = list(health.reasons)
        same = previous is not None and not changed and previous.reasons == reasons
        rows.append(
            ProjectHealth(
                project_id=pk,
                light=health.light,
                reasons=reasons,
                computed_at=now,
                light_since=previous.light_since
                if previous and not changed
                else changed_at,
                changed_at=(previous.changed_at or previous.light_since)
                if same
                else now,
            )
        )
        if changed:
            report.changed[pk] = (before, str(health.light))
            # A first computation is a starting state, not a turn: deploying the
            # lights must not send a notice for every project at once.
            if health.light == HealthLight.RED and previous is not None:
                report.turned_red.append(pk)
    ProjectHealth.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=["light", "reasons", "computed_at", "light_since", "changed_at"],
    )
    if report.changed:
        for project in Project.objects.filter(pk__in=list(report.changed)):
            before, after = report.changed[project.pk]
            audit_log(
                instance=project,
                action=AuditAction.UPDATE,
                actor=actor,
                changes={"health": [before or None, after]},
                reason=gettext("；").join(lights[project.pk].reasons),
            )
    if report.turned_red:
        red = sorted(report.turned_red)
        transaction.on_commit(lambda: on_project_turned_red(red, today))
    return report


@transaction.atomic
def health_rule_update(
    *,
    rule: HealthRule,
    actor: Actor | None,
    data: dict,
    reason: str = "",
) -> HealthRule:
    """A supervisor changes a rule's threshold, light or whether it is active."""
    fields = ["threshold", "light", "active", "note"]
    unknown = set(data) - set(fields)
    if unknown:
        raise ValidationError({name: _("该字段不能修改。") for name in sorted(unknown)})
    authorize(
        actor=actor,
        role=Role.SUPERVISOR,
        role_refusal=_("只有督查员或管理员可以修改红绿灯规则。"),
    )
    locked = HealthRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(locked, fields)
    for name, value in data.items():
        if name == "threshold" and value is not None:
            value = Decimal(str(value)).quantize(Decimal("0.01"))
        setattr(locked, name, value)
    locked.full_clean()
    changes = diff(before, snapshot(locked, fields))
    if not changes:
        return locked
    locked.save()
    audit_log(
        instance=locked,
        action=AuditAction.UPDATE,
        actor=actor,
        changes=changes,
        reason=reason,
    )
    return locked
