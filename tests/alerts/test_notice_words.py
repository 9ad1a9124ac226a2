"""Notices in people's words: red lights are not counted as 逾期, their dates follow
``--today``, the list says when the scan runs, levels and recipients by name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from projects.alerts.choices import NoticeKind, NoticeLevel
from projects.alerts.delivery import (
    _notices_for_rendering,
    digest_content,
    digest_subject,
    webhook_markdown,
)
from projects.alerts.models import Notice, ScanRun
from projects.choices import HealthLight, Phase
from projects.dossier.choices import HealthRuleKind
from projects.dossier.health import health_refresh
from projects.dossier.models import HealthRule, ProjectHealth
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)


@pytest.fixture
def scanned_on_a_past_day(supervisor):
    """``scan_deadlines --today 2026-06-15`` on the fresh install: red lights for
    the projects past their end year, overdue reports of past years."""
    call_command(
        "scan_deadlines", "--today", DAY.isoformat(), "--no-send", stdout=StringIO()
    )


def test_red_light_dates_are_the_scans_day(scanned_on_a_past_day, supervisor):
    red = ProjectHealth.objects.filter(light=HealthLight.RED)
    assert red.exists()
    assert {timezone.localdate(h.light_since) for h in red} == {DAY}
    notices = Notice.objects.filter(kind=NoticeKind.HEALTH_RED, recipient=supervisor)
    assert set(notices.values_list("period", flat=True)) == {DAY.isoformat()}
    content = digest_content(_notices_for_rendering(notices), today=DAY)
    [group] = content.groups
    assert group.items[0].text.startswith(f"{DAY:%Y-%m-%d} 起亮红灯")


def test_a_turn_to_red_under_another_day_is_dated_that_day(
    supervisor, django_capture_on_commit_callbacks
):
    HealthRule.objects.all().delete()
    HealthRule.objects.create(
        kind=HealthRuleKind.PAST_END_YEAR, threshold=Decimal("0"), light="red"
    )
    project = ProjectFactory(start_year=2022, end_year=2026, phase=Phase.PREPARING)
    with django_capture_on_commit_callbacks(execute=True):
        health_refresh(project_ids=[project.pk], today=dt.date(2026, 11, 28))
    turned = dt.date(2027, 1, 10)
    with django_capture_on_commit_callbacks(execute=True):
        health_refresh(project_ids=[project.pk], today=turned)
    project.health.refresh_from_db()
    assert timezone.localdate(project.health.light_since) == turned
    notice = Notice.objects.get(
        kind=NoticeKind.HEALTH_RED, project=project, recipient=supervisor
    )
    assert (notice.opened_on, notice.period) == (turned, turned.isoformat())


def test_the_digest_header_does_not_count_red_lights_as_overdue(
    scanned_on_a_past_day, supervisor
):
    mine = Notice.objects.filter(recipient=supervisor)
    red = mine.filter(kind=NoticeKind.HEALTH_RED).count()
    late = mine.exclude(kind__in=[NoticeKind.HEALTH_RED, NoticeKind.REMINDER]).count()
    assert red and late
    content = digest_content(_notices_for_rendering(mine), today=DAY)
    assert (content.overdue, content.red_lights) == (late, red)
    assert content.summary == f"逾期 {late} 项，红灯 {red} 项"
    assert digest_subject(content).endswith(
        f"新增事项 {late + red} 项（逾期 {late} 项，红灯 {red} 项）"
    )
    _, markdown = webhook_markdown(content, department="巴州区人民政府")
    assert f"（逾期 {late} 项，红灯 {red} 项）" in markdown


# --- The notices list on a fresh install ----------------------------------------------


def test_the_empty_list_says_the_scan_has_not_run_yet(client, supervisor):
    assert not ScanRun.objects.exists()
    client.force_login(supervisor)
    response = client.get(reverse("admin:alerts_notice_changelist"))
    html = response.content.decode()
    assert response.context_data["cl"].result_count == 0
    note = html.split('id="scan-note"')[1].split("</p>")[0]
    assert "每日扫描尚未运行" in note and "每日 07:00" in note
    assert "仪表盘上的逾期事项是实时计算的" in note


def test_after_a_scan_the_list_says_when_it_ran(
    scanned_on_a_past_day, client, supervisor
):
    run = ScanRun.objects.get()
    assert run.day == DAY and run.notices_created > 0
    client.force_login(supervisor)
    html = client.get(reverse("admin:alerts_notice_changelist")).content.decode()
    note = html.split('id="scan-note"')[1].split("</p>")[0]
    assert f"按 {DAY:%Y-%m-%d} 计算" in note
    assert f"新增通知 {run.notices_created} 条" in note


def test_levels_have_labels_and_recipients_names(
    scanned_on_a_past_day, client, supervisor
):
    client.force_login(supervisor)
    url = reverse("admin:alerts_notice_changelist")
    response = client.get(url)
    html = response.content.decode()
    filters = html.split('id="changelist-filter"')[1]
    for level in NoticeLevel:
        assert f"?level__exact={level.value}" in filters and str(level.label) in filters
    rows = html.split('id="result_list"')[1].split("</table>")[0]
    assert f'<td class="field-level">{NoticeLevel.NORMAL.label}</td>' in rows
    assert '<td class="field-level">1</td>' not in rows


def test_a_recipients_name_is_shown_not_their_username(client, supervisor):
    supervisor.first_name = "王督查"
    supervisor.save()
    call_command(
        "scan_deadlines", "--today", DAY.isoformat(), "--no-send", stdout=StringIO()
    )
    client.force_login(supervisor)
    html = client.get(
        reverse("admin:alerts_notice_changelist"), {"mine": "yes"}
    ).content.decode()
    rows = html.split('id="result_list"')[1]
    assert '<td class="field-recipient_name">王督查</td>' in rows
    assert "t-supervisor" not in rows
