"""Reported values: the year records' review workflow, scope, audit, progress."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from indicators import services
from indicators.choices import ProgressStatus
from indicators.models import Indicator, IndicatorValue
from indicators.progress import indicator_progress
from portfolio.choices import ReviewAction, ReviewState
from portfolio.exceptions import TransitionNotAllowed
from portfolio.models import AuditEntry
from portfolio.review import REVIEW_TRANSITIONS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REPORT = {"source": "巴中市统计公报", "reported_on": dt.date(2026, 3, 20)}


@pytest.fixture
def clerk_commerce(db):
    return UserFactory.clerk(["commerce-bureau"], username="t-clerk-commerce")


def report(indicator, year, actor, supervisor, **figures) -> IndicatorValue:
    """A department reports a year's figure and a supervisor approves it."""
    value = services.indicator_value_create(
        indicator=indicator, year=year, actor=actor, data={**REPORT, **figures}
    )
    value = services.indicator_value_submit(value=value, actor=actor)
    return services.indicator_value_approve(value=value, actor=supervisor)


def entries(value):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(IndicatorValue),
        object_id=str(value.pk),
    ).order_by("created_at", "id")


def history(value):
    return list(entries(value).values_list("action", flat=True))


def test_logistics_ratio_17_is_met_and_19_is_behind(clerk_commerce, supervisor):
    """社会物流总费用与地区生产总值的比率下降到18%以内: lower is better."""
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    report(indicator, 2025, clerk_commerce, supervisor, value=Decimal("17"))
    progress = indicator_progress(indicator, 2025)
    assert progress.status == ProgressStatus.MET
    assert (progress.expected, progress.actual) == (Decimal("18"), Decimal("17"))

    value = indicator.values.get(year=2025)
    value = services.indicator_value_reopen(
        value=value, actor=supervisor, reason="统计局修正数据"
    )
    value = services.indicator_value_update(
        value=value, actor=clerk_commerce, data={"value": Decimal("19")}
    )
    services.indicator_value_submit(value=value, actor=clerk_commerce)
    progress = indicator_progress(indicator, 2025)
    assert progress.status == ProgressStatus.BEHIND
    assert progress.actual == Decimal("19")


def test_retail_growth_7_9_judged_by_the_plans_words(clerk_commerce, supervisor):
    """7.9% a year: behind “年均增长8%以上” (二、（三）), met by “8%左右” ±0.5.

    The plan states both (the second in 四、（三）); the indicator is behind because
    its headline goal is.
    """
    indicator = Indicator.objects.get(code="retail-sales-growth")
    for year in range(2021, 2026):
        report(indicator, year, clerk_commerce, supervisor, rate=Decimal("7.9"))
    progress = indicator_progress(indicator, 2025)
    by_text = {item.target.text: item for item in progress.targets}
    above = by_text["全市社会消费品零售总额年均增长8%以上"]
    about = by_text["力争社会消费品零售总额年均增长8%左右"]
    assert (above.status, above.actual) == (ProgressStatus.BEHIND, Decimal("7.90"))
    assert (about.status, about.actual) == (ProgressStatus.MET, Decimal("7.90"))
    assert about.target.tolerance == Decimal("0.5")
    assert progress.status == ProgressStatus.BEHIND
    assert progress.deciding.target.text.endswith("8%以上")


def test_retail_growth_from_reported_totals(clerk_commerce, supervisor):
    """Totals of consecutive years instead of a rate: growth over the 482 亿元 base."""
    indicator = Indicator.objects.get(code="retail-sales-growth")
    report(indicator, 2021, clerk_commerce, supervisor, value=Decimal("520.56"))
    progress = indicator_progress(indicator, 2021)
    assert progress.actual == Decimal("8.00")
    assert progress.status == ProgressStatus.ON_TRACK


def test_workflow_follows_the_year_records_table(clerk_commerce, supervisor):
    """Every transition of projects.review.REVIEW_TRANSITIONS, and nothing else."""
    indicator = Indicator.objects.get(code="e-commerce-volume")
    value = services.indicator_value_create(
        indicator=indicator,
        year=2023,
        actor=clerk_commerce,
        data={**REPORT, "value": Decimal("30")},
    )
    calls = {
        ReviewAction.SUBMIT: lambda v: services.indicator_value_submit(
            value=v, actor=clerk_commerce
        ),
        ReviewAction.APPROVE: lambda v: services.indicator_value_approve(
            value=v, actor=supervisor
        ),
        ReviewAction.RETURN: lambda v: services.indicator_value_return(
            value=v, actor=supervisor, reason="来源不清"
        ),
        ReviewAction.REOPEN: lambda v: services.indicator_value_reopen(
            value=v, actor=supervisor, reason="更正"
        ),
    }
    # draft → submitted → returned → submitted → approved → draft
    path = [
        ReviewAction.SUBMIT,
        ReviewAction.RETURN,
        ReviewAction.SUBMIT,
        ReviewAction.APPROVE,
        ReviewAction.REOPEN,
    ]
    table = {(t.action, t.source): t.target for t in REVIEW_TRANSITIONS}
    for action in path:
        expected = table[(action, ReviewState(value.state))]
        value = calls[action](value)
        assert value.state == expected
    # Every action not in the table is refused, naming the state and what is allowed.
    for action, call in calls.items():
        if (action, ReviewState.DRAFT) in table:
            continue
        with pytest.raises(TransitionNotAllowed) as refused:
            call(value)
        assert refused.value.state == ReviewState.DRAFT
        assert refused.value.allowed == [ReviewAction.SUBMIT]
        assert "填报中" in refused.value.message
    assert history(value) == [
        "create",
        "submit",
        "return",
        "submit",
        "approve",
        "reopen",
    ]
    value.refresh_from_db()
    assert value.return_reason == "来源不清"
    assert value.version == 6


def test_submit_needs_figure_source_and_date(clerk_commerce):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    value = services.indicator_value_create(
        indicator=indicator, year=2022, actor=clerk_commerce
    )
    with pytest.raises(ValidationError) as refused:
        services.indicator_value_submit(value=value, actor=clerk_commerce)
    assert set(refused.value.message_dict) == {"value", "source", "reported_on"}
    value.refresh_from_db()
    assert value.state == ReviewState.DRAFT


def test_approved_value_is_read_only(clerk_commerce, supervisor):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    value = report(indicator, 2022, clerk_commerce, supervisor, value=Decimal("19"))
    with pytest.raises(TransitionNotAllowed, match="已审核"):
        services.indicator_value_update(
            value=value, actor=clerk_commerce, data={"value": Decimal("17")}
        )


def test_return_needs_a_reason(clerk_commerce, supervisor):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    value = services.indicator_value_create(
        indicator=indicator,
        year=2022,
        actor=clerk_commerce,
        data={**REPORT, "value": Decimal("19")},
    )
    value = services.indicator_value_submit(value=value, actor=clerk_commerce)
    with pytest.raises(ValidationError) as refused:
        services.indicator_value_return(value=value, actor=supervisor, reason=" ")
    assert "reason" in refused.value.message_dict


def test_only_the_responsible_department_reports(clerk_bazhou, clerk_commerce):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    with pytest.raises(PermissionDenied):
        services.indicator_value_create(
            indicator=indicator, year=2022, actor=clerk_bazhou
        )
    value = services.indicator_value_create(
        indicator=indicator, year=2022, actor=clerk_commerce
    )
    assert value.department.code == "commerce-bureau"
    with pytest.raises(PermissionDenied):
        services.indicator_value_update(
            value=value, actor=clerk_bazhou, data={"value": Decimal("1")}
        )


def test_supervisor_reviews_but_does_not_type(clerk_commerce, supervisor):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    value = services.indicator_value_create(
        indicator=indicator, year=2022, actor=clerk_commerce
    )
    with pytest.raises(PermissionDenied):
        services.indicator_value_update(
            value=value, actor=supervisor, data={"value": Decimal("1")}
        )
    value = services.indicator_value_update(
        value=value, actor=clerk_commerce, data={**REPORT, "value": Decimal("18.2")}
    )
    value = services.indicator_value_submit(value=value, actor=clerk_commerce)
    with pytest.raises(PermissionDenied):
        services.indicator_value_approve(value=value, actor=clerk_commerce)


def test_one_value_per_year_and_years_of_the_plan(clerk_commerce):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    services.indicator_value_create(
        indicator=indicator, year=2022, actor=clerk_commerce
    )
    with pytest.raises(ValidationError) as refused:
        services.indicator_value_create(
            indicator=indicator, year=2022, actor=clerk_commerce
        )
    assert "year" in refused.value.message_dict
    with pytest.raises(ValidationError, match="2020—2025"):
        services.indicator_value_create(
            indicator=indicator, year=2026, actor=clerk_commerce
        )


def test_stale_write_is_refused(clerk_commerce):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    value = services.indicator_value_create(
        indicator=indicator, year=2022, actor=clerk_commerce
    )
    services.indicator_value_update(
        value=value, actor=clerk_commerce, data={"value": Decimal("18")}
    )
    with pytest.raises(services.StaleWrite):
        services.indicator_value_update(
            value=value,
            actor=clerk_commerce,
            data={"value": Decimal("17")},
            expected_version=1,
        )


def test_update_writes_what_changed(clerk_commerce):
    indicator = Indicator.objects.get(code="logistics-cost-ratio")
    value = services.indicator_value_create(
        indicator=indicator, year=2022, actor=clerk_commerce
    )
    services.indicator_value_update(
        value=value, actor=clerk_commerce, data={"value": Decimal("18.5")}
    )
    entry = entries(value).get(action="update")
    assert entry.changes == {"value": [None, "18.5"]}
    assert entry.actor == clerk_commerce
    with pytest.raises(ValidationError) as refused:
        services.indicator_value_update(
            value=value, actor=clerk_commerce, data={"state": "approved"}
        )
    assert "state" in refused.value.message_dict
