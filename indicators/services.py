"""Every write to reported indicator values. Admin, API, tasks and commands call these.

A value goes through the same review as a project's year record: the review
services call ``portfolio.review.review_act`` (the one table, locking, history);
there is no second workflow table. Each service validates, checks the workflow and
the actor's scope (the indicator's responsible department), saves, and writes its
history row in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from portfolio import review
from portfolio.authorization import Principal, authorize, principal_of
from portfolio.choices import AuditAction, ReviewAction, Role
from portfolio.exceptions import StaleWrite
from portfolio.models import Department
from portfolio.services import Actor, audit_log, diff, snapshot

from .models import Indicator, IndicatorTarget, IndicatorValue

VALUE_FIELDS = ["value", "rate", "source", "reported_on", "note"]

__all__ = [
    "StaleWrite",
    "VALUE_FIELDS",
    "indicator_value_approve",
    "indicator_value_create",
    "indicator_value_reopen",
    "indicator_value_return",
    "indicator_value_submit",
    "indicator_value_update",
    "indicator_save",
    "indicator_target_delete",
    "indicator_target_save",
]


def covers_indicator(user, indicator: Indicator) -> bool:
    """Whether ``user``'s (or a token's) departments answer for ``indicator``."""
    principal = principal_of(user)
    return principal is not None and principal.scope.covers_department(
        indicator.department_id
    )


def _authorize(
    actor: Actor | None, indicator: Indicator, *, role: Role
) -> Principal | None:
    """People and tokens act only for their own department's indicators."""
    return authorize(
        actor=actor,
        role=role,
        department_ids=(indicator.department_id,),
        scope_refusal=_("该指标不由您所在单位负责。"),
        role_refusal=_("只有责任单位填报员可以填报和提交。")
        if role == Role.CLERK
        else None,
    )


def _check_data(data: dict[str, Any]) -> None:
    unknown = set(data) - set(VALUE_FIELDS)
    if unknown:
        raise ValidationError({name: _("该字段不能修改。") for name in sorted(unknown)})


def _authorize_value(
    actor: Actor | None, value: IndicatorValue, role: Role
) -> Principal | None:
    """A value is authorized through its indicator's responsible department."""
    return _authorize(actor, value.indicator, role=role)


def _values() -> QuerySet[IndicatorValue]:
    """Values with what authorizing them reads (their indicator and plan)."""
    return IndicatorValue.objects.select_related("indicator", "indicator__plan")


def _lock(value: IndicatorValue, expected_version: int | None) -> IndicatorValue:
    return review.lock_for_write(
        value, expected_version=expected_version, queryset=_values()
    )


@transaction.atomic
def indicator_value_create(
    *,
    indicator: Indicator,
    year: int,
    actor: Actor | None,
    data: dict[str, Any] | None = None,
    department: Department | None = None,
) -> IndicatorValue:
    """Open a draft value of ``indicator`` for ``year`` (one per indicator and year).

    The reporting department defaults to the indicator's responsible department.
    Years run from the one before the plan (a base for growth rates) to its end.
    """
    data = data or {}
    _check_data(data)
    _authorize(actor, indicator, role=Role.CLERK)
    plan = indicator.plan
    if not plan.start_year - 1 <= year <= plan.end_year:
        raise ValidationError(
            {
                "year": _("年度须在 %(first)s—%(last)s 年之间。")
                % {"first": plan.start_year - 1, "last": plan.end_year}
            }
        )
    department = department or indicator.department
    if department is None:
        raise ValidationError({"department": _("该指标尚未指定责任单位。")})
    if IndicatorValue.objects.filter(indicator=indicator, year=year).exists():
        raise ValidationError(
            {"year": _("该指标本年度已有填报记录，请在原记录上修改。")}
        )
    value = IndicatorValue(
        indicator=indicator, year=year, department=department, **data
    )
    value.full_clean()
    value.save()
    audit_log(
        instance=value,
        action=AuditAction.CREATE,
        actor=actor,
        changes={
            "year": [None, year],
            **{
                name: [None, after]
                for name, after in snapshot(value, VALUE_FIELDS).items()
                if after not in (None, "")
            },
        },
    )
    return value


@transaction.atomic
def indicator_value_update(
    *,
    value: IndicatorValue,
    actor: Actor | None,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> IndicatorValue:
    """Change a draft or returned value's figures, source, date or note."""
    _check_data(data)
    value = _lock(value, expected_version)
    _authorize(actor, value.indicator, role=Role.CLERK)
    review.check_editable(value)
    before = snapshot(value, VALUE_FIELDS)
    for name, new in data.items():
        setattr(value, name, new)
    value.full_clean()
    changes = diff(before, snapshot(value, VALUE_FIELDS))
    if not changes:
        return value
    value.version += 1
    value.save()
    audit_log(instance=value, action=AuditAction.UPDATE, actor=actor, changes=changes)
    return value


def _ready_to_submit(value: IndicatorValue) -> None:
    """A submitted value is valid and has a figure, a source and a date."""
    value.full_clean()
    missing = value.missing_for_submit()
    if missing:
        raise ValidationError(missing)


def _review(
    *,
    value: IndicatorValue,
    actor: Actor | None,
    action: ReviewAction,
    reason: str = "",
    expected_version: int | None = None,
) -> IndicatorValue:
    """A value through the one review service (``portfolio.review``)."""
    return review.review_act(
        instance=value,
        action=action,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        authorize=_authorize_value,
        queryset=_values(),
        validate_submit=_ready_to_submit,
    )


@transaction.atomic
def indicator_value_submit(
    *, value: IndicatorValue, actor: Actor | None, expected_version: int | None = None
) -> IndicatorValue:
    """The department's clerk submits the value (it needs a figure, source, date)."""
    return _review(
        value=value,
        actor=actor,
        action=ReviewAction.SUBMIT,
        expected_version=expected_version,
    )


@transaction.atomic
def indicator_value_approve(
    *, value: IndicatorValue, actor: Actor | None, expected_version: int | None = None
) -> IndicatorValue:
    """A supervisor approves a submitted value; it becomes read-only."""
    return _review(
        value=value,
        actor=actor,
        action=ReviewAction.APPROVE,
        expected_version=expected_version,
    )


@transaction.atomic
def indicator_value_return(
    *,
    value: IndicatorValue,
    actor: Actor | None,
    reason: str,
    expected_version: int | None = None,
) -> IndicatorValue:
    """A supervisor returns a submitted value to the department, saying why."""
    return _review(
        value=value,
        actor=actor,
        action=ReviewAction.RETURN,
        reason=reason,
        expected_version=expected_version,
    )


@transaction.atomic
def indicator_value_reopen(
    *,
    value: IndicatorValue,
    actor: Actor | None,
    reason: str,
    expected_version: int | None = None,
) -> IndicatorValue:
    """A supervisor reopens an approved value for correction, saying why."""
    return _review(
        value=value,
        actor=actor,
        action=ReviewAction.REOPEN,
        reason=reason,
        expected_version=expected_version,
    )


def _authorize_administrator(actor: Actor | None, refusal: str) -> None:
    """The plan's indicators and targets are corrected by administrators only."""
    authorize(actor=actor, role=Role.ADMINISTRATOR, role_refusal=refusal)


def _save_with_history(instance, *, actor: Actor | None, fields: list[str]):
    """Validate and save an administrator's edit; record what changed."""
    model = type(instance)
    created = instance.pk is None
    before = {} if created else snapshot(model.objects.get(pk=instance.pk), fields)
    instance.full_clean()
    instance.save()
    # Read back, so that the history shows what is stored ("19.6000", not "19.6").
    changes = diff(before, snapshot(model.objects.get(pk=instance.pk), fields))
    if created or changes:
        audit_log(
            instance=instance,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            actor=actor,
            changes=changes,
        )
    return instance


@transaction.atomic
def indicator_save(
    *, indicator: Indicator, actor: Actor | None, fields: list[str]
) -> Indicator:
    """An administrator adds or corrects an indicator (a baseline, a department…).

    ``fields`` are the fields edited; a later ``load_plan`` keeps the correction.
    """
    _authorize_administrator(actor, _("只有管理员可以修改考核指标。"))
    return _save_with_history(indicator, actor=actor, fields=fields)


@transaction.atomic
def indicator_target_save(
    *, target: IndicatorTarget, actor: Actor | None, fields: list[str]
) -> IndicatorTarget:
    """An administrator adds or corrects a target (e.g. a tolerance)."""
    _authorize_administrator(actor, _("只有管理员可以修改指标目标。"))
    return _save_with_history(target, actor=actor, fields=fields)


@transaction.atomic
def indicator_target_delete(*, target: IndicatorTarget, actor: Actor | None) -> None:
    """An administrator removes a target; the history keeps what it was."""
    _authorize_administrator(actor, _("只有管理员可以删除指标目标。"))
    audit_log(
        instance=target,
        action=AuditAction.DELETE,
        actor=actor,
        changes={"text": [target.text, None], "kind": [target.kind, None]},
    )
    target.delete()
