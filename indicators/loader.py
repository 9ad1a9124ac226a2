"""Load the plan's indicators and targets from ``fixtures/indicators.json``.

Called by ``load_plan`` (``portfolio.plan_loader._load_indicators``). Idempotent and
respectful of people's work, like the projects:
- a missing indicator or target is created;
- an existing one is refreshed only in the fields whose current value is still the
  value last loaded (``seed``); an administrator's correction (a baseline entered,
  a department reassigned) is kept and reported, never overwritten;
- nothing is ever deleted, and reported values (``IndicatorValue``) are not touched.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission
from django.utils.translation import gettext

from portfolio.choices import AuditAction, Role
from portfolio.fixtures import FIXTURES_DIR, load_json
from portfolio.models import Department, District, Plan, Sector
from portfolio.services import Actor, audit_log, role_group_ensure

from .choices import TargetKind
from .models import Indicator, IndicatorTarget

INDICATORS_FIXTURE = FIXTURES_DIR / "indicators.json"

INDICATOR_FIELDS = [
    "name",
    "unit",
    "direction",
    "measure",
    "quantity_unit",
    "sector",
    "department",
    "district",
    "source",
    "source_text",
    "baseline_year",
    "baseline_value",
    "baseline_text",
    "order",
]
TARGET_FIELDS = [
    "value",
    "value_max",
    "strict",
    "approximate",
    "tolerance",
    "text",
    "source_text",
]
DECIMAL_FIELDS = {"baseline_value", "value", "value_max", "tolerance"}
RELATED = {"sector": "sector", "department": "department", "district": "district"}

# What each role may do with indicators (administrators get every permission of
# the app through ``roles_ensure``).
ROLE_PERMISSIONS = {
    Role.CLERK: [
        "view_indicator",
        "view_indicatortarget",
        "view_indicatorvalue",
        "add_indicatorvalue",
        "change_indicatorvalue",
    ],
    Role.SUPERVISOR: [
        "view_indicator",
        "view_indicatortarget",
        "view_indicatorvalue",
        "change_indicatorvalue",
    ],
}


def _plain(name: str, value: Any) -> Any:
    """A field value in the fixture's JSON form (codes, decimal strings)."""
    if value is None:
        return None
    if name in DECIMAL_FIELDS:
        return str(Decimal(value).quantize(Decimal("0.0001")))
    return value


def _indicator_seed(row: dict) -> dict[str, Any]:
    baseline = row.get("baseline") or {}
    values = {
        "name": row["name"],
        "unit": row["unit"],
        "direction": row["direction"],
        "measure": row["measure"],
        "quantity_unit": row["quantity_unit"],
        "sector": row["sector"],
        "department": row["department"],
        "district": row["district"],
        "source": row["source"],
        "source_text": row["source_text"],
        "baseline_year": baseline.get("year"),
        "baseline_value": baseline.get("value"),
        "baseline_text": baseline.get("text", ""),
        "order": row["order"],
    }
    return {name: _plain(name, value) for name, value in values.items()}


def _indicator_current(indicator: Indicator) -> dict[str, Any]:
    values = {}
    for name in INDICATOR_FIELDS:
        if name in RELATED:
            related = getattr(indicator, name)
            values[name] = related.code if related else None
        else:
            values[name] = _plain(name, getattr(indicator, name))
    return values


def _target_seed(row: dict) -> dict[str, Any]:
    return {name: _plain(name, row[name]) for name in TARGET_FIELDS}


def _target_current(target: IndicatorTarget) -> dict[str, Any]:
    return {name: _plain(name, getattr(target, name)) for name in TARGET_FIELDS}


def _merge(
    current: dict, previous: dict, seed: dict, label: str, kept: list[str]
) -> dict[str, list]:
    """Changes to make: fields untouched since the last load that the plan changed."""
    changes = {}
    for name, value in seed.items():
        if value == previous.get(name) == current[name]:
            continue
        if current[name] != previous.get(name):
            if current[name] != value:
                kept.append(f"{label} {name}")
            continue
        changes[name] = [current[name], value]
    return changes


def _check_column7(rows: list[dict], fixture: dict[str, dict]) -> None:
    """plan.json's 专栏7 rows (parsed from the seed) and indicators.json agree."""
    for row in rows:
        entry = fixture.get(row["code"])
        if entry is None:
            raise ValueError(
                gettext("indicators.json: 专栏7 指标 %(code)s 缺失")
                % {"code": row["code"]}
            )
        yearly = {
            str(t["year"]): t["text"]
            for t in entry["targets"]
            if t["kind"] == TargetKind.YEARLY
        }
        average = [
            t["text"]
            for t in entry["targets"]
            if t["kind"] == TargetKind.ANNUAL_AVERAGE_GROWTH
        ]
        if yearly != row["yearly"] or average != (
            [row["annual_average_text"]] if row["annual_average_text"] else []
        ):
            raise ValueError(
                gettext("indicators.json: 专栏7 指标 %(code)s 与 plan.json 不一致")
                % {"code": row["code"]}
            )


def _set_fields(obj, values: dict[str, Any], lookups: dict[str, dict]) -> None:
    for name, value in values.items():
        if name in RELATED:
            setattr(obj, name, lookups[name][value] if value else None)
        elif name in DECIMAL_FIELDS:
            setattr(obj, name, Decimal(value) if value is not None else None)
        else:
            setattr(obj, name, value)


def permissions_ensure() -> None:
    """Give clerks and supervisors what they need to report and review values."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group = role_group_ensure(role=role)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="indicators", codename__in=codenames
            )
        )


def indicators_load(*, plan: Plan, report, column7: list[dict], actor: Actor) -> None:
    """Create or refresh the plan's indicators and targets; count into ``report``.

    ``column7`` is plan.json's 专栏7 rows: indicators.json must agree with them.
    """
    data = load_json(INDICATORS_FIXTURE)["indicators"]
    _check_column7(column7, {row["code"]: row for row in data})
    permissions_ensure()
    lookups = {
        "sector": {s.code: s for s in Sector.objects.filter(plan=plan)},
        "department": {d.code: d for d in Department.objects.all()},
        "district": {d.code: d for d in District.objects.all()},
    }
    existing = {
        i.code: i
        for i in Indicator.objects.filter(plan=plan).select_related(
            "sector", "department", "district"
        )
    }
    targets_of: dict[int, dict[tuple, IndicatorTarget]] = {}
    for target in IndicatorTarget.objects.filter(indicator__plan=plan):
        key = (target.year, target.kind, target.source)
        targets_of.setdefault(target.indicator_id, {})[key] = target

    for row in data:
        seed = _indicator_seed(row)
        indicator = existing.get(row["code"])
        if indicator is None:
            indicator = Indicator(plan=plan, code=row["code"], seed=seed)
            _set_fields(indicator, seed, lookups)
            indicator.full_clean()
            indicator.save()
            audit_log(
                instance=indicator,
                action=AuditAction.LOAD,
                actor=actor,
                changes={"targets": [None, [t["text"] for t in row["targets"]]]},
            )
            report.count(report.created, gettext("考核指标"))
        else:
            current = _indicator_current(indicator)
            changes = _merge(
                current, indicator.seed or current, seed, indicator.code, report.kept
            )
            if changes or indicator.seed != seed:
                _set_fields(
                    indicator, {k: new for k, (_, new) in changes.items()}, lookups
                )
                indicator.seed = seed
                indicator.full_clean()
                indicator.save()
            if changes:
                audit_log(
                    instance=indicator,
                    action=AuditAction.LOAD,
                    actor=actor,
                    changes=changes,
                )
                report.count(report.updated, gettext("考核指标"))
        _load_targets(indicator, row["targets"], targets_of, report, actor)


def _load_targets(
    indicator: Indicator,
    rows: list[dict],
    targets_of: dict[int, dict[tuple, IndicatorTarget]],
    report,
    actor: Actor,
) -> None:
    known = targets_of.get(indicator.pk, {})
    for row in rows:
        seed = _target_seed(row)
        target = known.get((row["year"], row["kind"], row["source"]))
        if target is None:
            target = IndicatorTarget(
                indicator=indicator,
                year=row["year"],
                kind=row["kind"],
                source=row["source"],
                seed=seed,
            )
            _set_fields(target, seed, {})
            target.full_clean()
            target.save()
            report.count(report.created, gettext("指标目标"))
            continue
        current = _target_current(target)
        label = f"{indicator.code} {target.year or gettext('规划期')} {target.kind}"
        changes = _merge(current, target.seed or current, seed, label, report.kept)
        if changes or target.seed != seed:
            _set_fields(target, {k: new for k, (_, new) in changes.items()}, {})
            target.seed = seed
            target.full_clean()
            target.save()
        if changes:
            audit_log(
                instance=target, action=AuditAction.LOAD, actor=actor, changes=changes
            )
            report.count(report.updated, gettext("指标目标"))
