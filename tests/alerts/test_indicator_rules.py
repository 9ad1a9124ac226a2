"""The indicator rules at their boundaries: a figure not reported by 31 March
of the next year (the department's clerks; after the grace, the supervisors),
a figure behind its target (the supervisors); and their place in a digest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from indicators.models import Indicator, IndicatorValue
from portfolio.choices import ReviewState
from projects.alerts.choices import NoticeKind
from projects.alerts.delivery import digest_content
from projects.alerts.indicator_rules import indicator_notices_q
from projects.alerts.models import Notice
from projects.alerts.rules import RULES_BY_KIND, rule_create, rule_resolve
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DUE_2021 = dt.date(2022, 3, 31)  # the 2021 figures' due date
GRACE = 30


def apply(kind: NoticeKind, today: dt.date) -> tuple[int, int]:
    rule = RULES_BY_KIND[kind]
    now = timezone.now()
    return rule_resolve(rule, today, now), rule_create(rule, today, now)


def told(indicator, kind) -> set[tuple[str, str]]:
    """(recipient, period) of the open notices, among this test's people (the
    demo accounts hear of them too)."""
    return set(
        Notice.objects.filter(
            kind=kind,
            object_id=indicator.pk,
            resolved_at__isnull=True,
            recipient__username__startswith="t-",
        ).values_list("recipient__username", "period")
    )


@pytest.fixture(autouse=True)
def _since(settings):
    settings.INDICATOR_NOTICES_SINCE = dt.date(2022, 1, 1)


def test_silent_until_a_start_is_set(settings, db):
    settings.INDICATOR_NOTICES_SINCE = None
    visitors = Indicator.objects.get(code="tourism-visitors")
    assert apply(NoticeKind.INDICATOR_UNREPORTED, dt.date(2025, 1, 1)) == (0, 0)
    assert not Notice.objects.filter(object_id=visitors.pk).exists()


@pytest.fixture
def people(db):
    return {
        "clerk": UserFactory.clerk(["culture-tourism-bureau"], username="t-ct"),
        "other": UserFactory.clerk(["commerce-bureau"], username="t-other"),
        "boss": UserFactory.supervisor(username="t-boss"),
    }


@pytest.fixture
def visitors(db):
    return Indicator.objects.get(code="tourism-visitors")


def _report(indicator, year, value, state=ReviewState.SUBMITTED):
    return IndicatorValue.objects.create(
        indicator=indicator,
        year=year,
        value=Decimal(value),
        state=state,
        department=indicator.department,
    )


def test_unreported_is_told_to_the_departments_clerks_the_day_after(people, visitors):
    kind = NoticeKind.INDICATOR_UNREPORTED
    apply(kind, DUE_2021)
    assert told(visitors, kind) == set()
    apply(kind, DUE_2021 + dt.timedelta(days=1))
    assert told(visitors, kind) == {("t-ct", "2021")}
    notice = Notice.objects.get(
        kind=kind, object_id=visitors.pk, recipient=people["clerk"]
    )
    assert notice.project_id is None and notice.item == visitors
    before = Notice.objects.filter(kind=kind).count()
    apply(kind, DUE_2021 + dt.timedelta(days=2))  # a re-run creates nothing more
    assert Notice.objects.filter(kind=kind).count() == before


def test_after_the_grace_the_supervisors_hear_of_it(people, visitors):
    kind = NoticeKind.INDICATOR_UNREPORTED_LATE
    with override_settings(INDICATOR_NOTICE_GRACE_DAYS=GRACE):
        apply(kind, DUE_2021 + dt.timedelta(days=GRACE))
        assert told(visitors, kind) == set()
        apply(kind, DUE_2021 + dt.timedelta(days=GRACE + 1))
        assert told(visitors, kind) == {("t-boss", "2021")}


def test_a_submitted_figure_resolves_it_and_a_draft_does_not(people, visitors):
    kind = NoticeKind.INDICATOR_UNREPORTED
    day = DUE_2021 + dt.timedelta(days=5)
    apply(kind, day)
    _report(visitors, 2021, "3000", state=ReviewState.DRAFT)
    apply(kind, day)
    assert told(visitors, kind) == {("t-ct", "2021")}
    IndicatorValue.objects.filter(indicator=visitors).update(
        state=ReviewState.SUBMITTED
    )
    apply(kind, day)
    assert told(visitors, kind) == set()  # 2022's figure is not due yet


def test_the_earliest_missing_year_is_told_first(people, visitors):
    kind = NoticeKind.INDICATOR_UNREPORTED
    apply(kind, dt.date(2024, 4, 1))  # 2021, 2022 and 2023 missing
    assert told(visitors, kind) == {("t-ct", "2021")}


def test_behind_is_told_to_the_supervisors(people):
    share = Indicator.objects.get(code="service-share-of-gdp")  # 2023 target: 52
    kind = NoticeKind.INDICATOR_BEHIND
    _report(share, 2023, "52.0")
    apply(kind, dt.date(2024, 4, 1))
    assert told(share, kind) == set()
    IndicatorValue.objects.filter(indicator=share).update(value=Decimal("51.9"))
    apply(kind, dt.date(2024, 4, 1))
    assert told(share, kind) == {("t-boss", "2023")}
    assert ("t-ct", "2023") not in told(share, kind)


def test_the_digest_lists_indicators_apart_from_projects(people, visitors):
    apply(NoticeKind.INDICATOR_UNREPORTED, DUE_2021 + dt.timedelta(days=1))
    apply(NoticeKind.INDICATOR_BEHIND, DUE_2021 + dt.timedelta(days=1))
    notices = list(Notice.objects.filter(recipient__username="t-ct"))
    content = digest_content(notices, today=DUE_2021 + dt.timedelta(days=3))
    (group,) = content.groups
    assert group.first_indicator and group.kind == NoticeKind.INDICATOR_UNREPORTED
    item = next(i for i in group.items if i.project == "【指标】" + visitors.name)
    assert (
        "2021年数值应于 2022-03-31 前报送" in item.text and "已逾期 3 天" in item.text
    )
    assert item.url.endswith(f"/admin/indicators/indicator/{visitors.pk}/change/")


def test_a_departments_robot_carries_its_indicators(people, visitors):
    apply(NoticeKind.INDICATOR_UNREPORTED, DUE_2021 + dt.timedelta(days=1))
    ours = Notice.objects.filter(indicator_notices_q(visitors.department))
    assert ours.filter(object_id=visitors.pk).exists()
    other = Notice.objects.filter(
        indicator_notices_q(people["other"].profile.departments.get())
    )
    assert not other.filter(object_id=visitors.pk).exists()


def test_an_indicator_notice_in_the_api_has_no_project(people, visitors, client):
    apply(NoticeKind.INDICATOR_UNREPORTED, DUE_2021 + dt.timedelta(days=1))
    client.force_login(people["clerk"])
    body = client.get("/api/v1/notices/", {"kind": "indicator_unreported"}).json()
    assert body["count"] >= 1
    assert {row["project"] for row in body["results"]} == {None}
