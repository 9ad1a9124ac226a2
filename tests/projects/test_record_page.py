"""The year record's own page: read-only where it cannot change, the review
actions as buttons by role, refusals styled as errors, the list's default year."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.messages import constants
from django.urls import reverse
from django.utils import timezone

from portfolio.choices import ReviewState
from portfolio.models import AuditEntry
from projects.choices import Phase
from projects.models import YearRecord
from tests.projects.test_admin import form_data, inline_management

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


@pytest.fixture
def record():
    record = YearRecord.objects.select_related("project").get(
        project__code="t1-002", year=YEAR
    )
    YearRecord.objects.filter(pk=record.pk).update(
        phase=Phase.UNDER_CONSTRUCTION, percent_complete=Decimal("30")
    )
    record.refresh_from_db()
    return record


def page(client, record) -> str:
    url = reverse("admin:projects_yearrecord_change", args=[record.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def buttons(html: str) -> set[str]:
    return set(re.findall(r'id="review-(submit|approve|return|reopen)"', html))


def review(client, record, action: str, **data):
    url = reverse("admin:projects_yearrecord_review", args=[record.pk, action])
    return client.post(url, data, follow=True)


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


# --- Read-only where the record cannot change ------------------------------------


@pytest.mark.parametrize("state", [ReviewState.SUBMITTED, ReviewState.APPROVED])
def test_a_submitted_or_approved_record_does_not_look_editable(
    client, clerk_bazhou, record, state
):
    YearRecord.objects.filter(pk=record.pk).update(state=state)
    client.force_login(clerk_bazhou)
    html = page(client, record)
    assert 'name="reason"' not in html.split('id="review-panel"')[0]
    assert 'id="id_reason"' not in html
    assert "阶段变更原因" not in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert 'id="read-only-note"' in html and "不能修改" in html
    assert "在建（续建）" in html  # the phase, as every page says it


def test_saving_a_read_only_record_stores_nothing_and_never_says_so(
    client, clerk_bazhou, record
):
    YearRecord.objects.filter(pk=record.pk).update(state=ReviewState.SUBMITTED)
    record.refresh_from_db()
    client.force_login(clerk_bazhou)
    url = reverse("admin:projects_yearrecord_change", args=[record.pk])
    data = {**form_data(record, progress="改一下"), "reason": "试试"}
    response = client.post(url, data, follow=True)
    assert response.status_code == 403
    assert "成功修改" not in response.content.decode()
    record.refresh_from_db()
    assert record.progress == ""


def test_a_supervisor_reads_a_draft_and_cannot_edit_it(client, supervisor, record):
    client.force_login(supervisor)
    html = page(client, record)
    assert 'name="_save"' not in html and 'id="id_progress"' not in html
    assert "督查员只查看和审核" in html


def test_saving_without_a_change_does_not_say_it_was_changed(
    client, clerk_bazhou, record
):
    client.force_login(clerk_bazhou)
    url = reverse("admin:projects_yearrecord_change", args=[record.pk])
    before = AuditEntry.objects.count()
    response = client.post(
        url, {**form_data(record), **inline_management(client, url)}, follow=True
    )
    said = messages_of(response)
    assert said == [(constants.WARNING, "没有修改任何内容，未保存。")]
    assert AuditEntry.objects.count() == before
    response = client.post(
        url,
        {**form_data(record, progress="主体施工"), **inline_management(client, url)},
        follow=True,
    )
    assert any("成功修改" in text for _, text in messages_of(response))


# --- The review buttons, by role ------------------------------------------------------


def test_buttons_by_state_and_role(client, clerk_bazhou, supervisor, record):
    expected = {
        ReviewState.DRAFT: ({"submit"}, set()),
        ReviewState.SUBMITTED: (set(), {"approve", "return"}),
        ReviewState.RETURNED: ({"submit"}, set()),
        ReviewState.APPROVED: (set(), {"reopen"}),
    }
    for state, (for_clerk, for_supervisor) in expected.items():
        YearRecord.objects.filter(pk=record.pk).update(state=state)
        client.force_login(clerk_bazhou)
        assert buttons(page(client, record)) == for_clerk, state
        client.force_login(supervisor)
        assert buttons(page(client, record)) == for_supervisor, state


def test_the_desk_flow_with_the_buttons(client, clerk_bazhou, supervisor, record):
    """fill → submit → return (with a reason) → fix → submit → approve."""
    url = reverse("admin:projects_yearrecord_change", args=[record.pk])
    client.force_login(clerk_bazhou)
    client.post(
        url,
        {
            **form_data(record, actual_investment="300"),
            **inline_management(client, url),
        },
    )
    response = review(client, record, "submit")
    assert messages_of(response)[-1][0] == constants.SUCCESS
    record.refresh_from_db()
    assert record.state == ReviewState.SUBMITTED

    client.force_login(supervisor)
    response = review(client, record, "return", reason="")
    level, text = messages_of(response)[-1]
    assert level == constants.ERROR and "请填写原因" in text
    record.refresh_from_db()
    assert record.state == ReviewState.SUBMITTED
    review(client, record, "return", reason="完成投资与台账不一致")
    record.refresh_from_db()
    assert record.state == ReviewState.RETURNED
    assert record.return_reason == "完成投资与台账不一致"

    client.force_login(clerk_bazhou)
    html = page(client, record)
    assert "退回原因：完成投资与台账不一致" in html
    response = client.post(
        url,
        {
            **form_data(record, actual_investment="420"),
            **inline_management(client, url),
            "_save_and_submit": "保存并提交",
        },
        follow=True,
    )
    record.refresh_from_db()
    assert record.state == ReviewState.SUBMITTED
    assert record.actual_investment == Decimal("420")
    assert response.redirect_chain[-1][0] == url

    client.force_login(supervisor)
    review(client, record, "approve")
    record.refresh_from_db()
    assert record.state == ReviewState.APPROVED


def test_a_clerk_cannot_take_a_supervisors_action(client, clerk_bazhou, record):
    YearRecord.objects.filter(pk=record.pk).update(state=ReviewState.SUBMITTED)
    client.force_login(clerk_bazhou)
    response = review(client, record, "approve")
    level, text = messages_of(response)[-1]
    assert level == constants.ERROR and "督查员" in text
    record.refresh_from_db()
    assert record.state == ReviewState.SUBMITTED


def test_a_stale_button_is_refused(client, clerk_bazhou, record):
    client.force_login(clerk_bazhou)
    response = review(client, record, "submit", version=record.version - 1 or 99)
    assert messages_of(response)[-1][0] == constants.ERROR
    record.refresh_from_db()
    assert record.state == ReviewState.DRAFT


def test_out_of_scope_records_have_no_buttons_to_press(client, clerk_bazhou):
    other = YearRecord.objects.get(project__code="t1-009", year=YEAR)  # 南江县
    client.force_login(clerk_bazhou)
    review(client, other, "submit")
    other.refresh_from_db()
    assert other.state == ReviewState.DRAFT


# --- A refusal looks like an error -----------------------------------------------


def test_a_refusal_is_an_error_not_a_success(client, clerk_bazhou, record):
    not_ready = YearRecord.objects.get(project__code="t1-003", year=YEAR)
    YearRecord.objects.filter(pk=not_ready.pk).update(phase="")
    client.force_login(clerk_bazhou)
    response = client.post(
        reverse("admin:projects_yearrecord_changelist"),
        {"action": "submit_records", "_selected_action": [record.pk, not_ready.pk]},
        follow=True,
    )
    said = messages_of(response)
    assert (constants.SUCCESS, "已提交 1 条年度记录。") in said
    [refusal] = [text for level, text in said if level == constants.ERROR]
    assert refusal.startswith("1 条未能提交：")
    html = response.content.decode()
    error = html.split('<li class="error">')[1].split("</li>")[0]
    assert "提交前请填写本年度项目阶段" in error
    assert "<li" not in error  # no line styled as a green success inside it


# --- The list opens on the current reporting year -----------------------------------


def test_the_list_opens_on_this_years_records_with_the_filter_shown(
    client, clerk_bazhou
):
    client.force_login(clerk_bazhou)
    url = reverse("admin:projects_yearrecord_changelist")
    response = client.get(url)
    listed = response.context_data["cl"].queryset
    assert listed.exists() and set(listed.values_list("year", flat=True)) == {YEAR}
    html = response.content.decode()
    assert f"年度记录（{YEAR}年度）" in html
    filters = html.split('id="changelist-filter"')[1]
    assert re.search(rf'class="selected">\s*<a href="\?year={YEAR}"', filters)
    every = client.get(url, {"year": "all"}).context_data["cl"].queryset
    assert set(every.values_list("year", flat=True)) > {YEAR}
    assert (
        client.get(url, {"year": "2024"})
        .context_data["cl"]
        .queryset.filter(year=2024)
        .count()
        == client.get(url, {"year": "2024"}).context_data["cl"].result_count
    )


def test_the_record_list_finds_a_project_by_its_reference(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    response = client.get(
        reverse("admin:projects_yearrecord_changelist"), {"q": "表1-2"}
    )
    [found] = response.context_data["cl"].queryset
    assert found.project.reference == "表1-2"
