"""The admin: light, reasons and money in the project list; the dossier pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio.models import AuditEntry
from projects.choices import HealthLight, Phase
from projects.dossier.choices import HealthRuleKind, ProblemState
from projects.dossier.health import health_refresh
from projects.dossier.models import CoordinationProblem, HealthRule, ProgressUpdate
from projects.dossier.problems import problem_raise
from projects.dossier.services import project_dossier_update
from projects.models import Project
from tests.factories import ProjectFactory, YearRecordFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:projects_project_changelist"


@pytest.fixture
def dossiers(clerk_bazhou):
    """Every 巴州区 project with money, a light and (some) reasons."""
    year = timezone.localdate().year
    for project in Project.objects.filter(district__code="bazhou"):
        project_dossier_update(
            project=project,
            actor=clerk_bazhou,
            data={
                "total_investment": Decimal("1000"),
                "fiscal_funds": Decimal("400"),
                "social_capital": Decimal("600"),
            },
        )
    late = ProjectFactory(start_year=2020, end_year=2022, period="2020-2022")
    YearRecordFactory(project=late, year=year, planned_investment=Decimal("80"))
    health_refresh()
    return late


def changelist_queries(client, query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(CHANGELIST), {"q": query})
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def test_changelist_shows_light_reasons_money_in_constant_queries(
    client, supervisor, dossiers
):
    client.force_login(supervisor)
    one, few_queries = changelist_queries(client, dossiers.code)
    assert len(one.context["cl"].result_list) == 1
    page = one.content.decode()
    assert "红灯" in page
    assert "计划 2022 年完工，已超期" in page  # the reason, in the row
    assert "80 / —" in page  # this year's planned (and not yet completed) investment

    many, many_queries = changelist_queries(client, "")
    rows = many.context["cl"].result_list
    assert len(rows) == 50
    assert many_queries == few_queries
    assert "1000.00" in many.content.decode()  # total investment column


def test_light_filter(client, supervisor, dossiers):
    client.force_login(supervisor)
    url = reverse(CHANGELIST)
    red = client.get(url, {"light": HealthLight.RED, "q": dossiers.code})
    assert [p.code for p in red.context["cl"].result_list] == [dossiers.code]
    green = client.get(url, {"light": HealthLight.GREEN, "q": dossiers.code})
    assert list(green.context["cl"].result_list) == []
    reds = client.get(url, {"light": HealthLight.RED})
    assert {p.health.light for p in reds.context["cl"].result_list} == {"red"}


def inline_post_data(response) -> dict:
    """The change form's current values as a browser would post them."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for sub in formset.forms:
            for name, field in sub.fields.items():
                value = sub.initial.get(name, field.initial)
                if value is not None:
                    data[sub.add_prefix(name)] = getattr(value, "pk", value)
    return data


def test_clerk_enters_money_on_the_project_page(client, clerk_bazhou):
    project = Project.objects.get(code="t3-001")
    client.force_login(clerk_bazhou)
    url = reverse("admin:projects_project_change", args=[project.pk])
    page = client.get(url)
    assert "项目档案：投资与联系人" in page.content.decode()
    data = inline_post_data(page)
    prefix = "dossier-0-"
    data.update(
        {
            prefix + "total_investment": "5000",
            prefix + "fiscal_funds": "1000",
            prefix + "special_bonds": "2000",
            prefix + "bank_loans": "0",
            prefix + "social_capital": "1000",
            prefix + "other_funds": "0",
            prefix + "owner_unit": "巴中市文旅投资集团",
        }
    )
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "资金来源合计 4000.00 万元" in refused.content.decode()
    assert not hasattr(Project.objects.get(pk=project.pk), "dossier")

    data[prefix + "other_funds"] = "1000"
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    project.refresh_from_db()
    assert project.dossier.total_investment == Decimal("5000")
    assert project.dossier.owner_unit == "巴中市文旅投资集团"


def test_clerk_files_a_progress_update_in_the_admin(client, clerk_bazhou):
    record = YearRecordFactory(
        project=ProjectFactory(start_year=2025, end_year=2027, period="2025-2027"),
        year=timezone.localdate().year,
        phase=Phase.UNDER_CONSTRUCTION,
    )
    client.force_login(clerk_bazhou)
    response = client.post(
        reverse("admin:dossier_progressupdate_add"),
        {
            "year_record": record.pk,
            "period": f"{record.year}-01",
            "completed_investment": "120",
            "physical_progress": "完成基础工程",
            "percent_complete": "15",
            "problems": "施工用电未接通",
        },
    )
    assert response.status_code == 302
    update = ProgressUpdate.objects.get(year_record=record)
    assert update.cumulative_investment == Decimal("120.00")
    record.refresh_from_db()
    assert record.actual_investment == Decimal("120.00")
    assert CoordinationProblem.objects.get(progress_update=update).state == (
        ProblemState.OPEN
    )


def test_overdue_updates_page(client, clerk_bazhou, settings):
    today = timezone.localdate()
    settings.PROJECTS_PROGRESS_SINCE = today.replace(day=1) - dt.timedelta(days=40)
    record = YearRecordFactory(
        project=ProjectFactory(start_year=2025, end_year=2027, period="2025-2027"),
        year=today.year,
        phase=Phase.UNDER_CONSTRUCTION,
    )
    client.force_login(clerk_bazhou)
    page = client.get(reverse("admin:dossier_progressupdate_overdue"))
    assert page.status_code == 200
    assert str(record.project) in page.content.decode()
    listing = client.get(reverse("admin:dossier_progressupdate_changelist"))
    assert "逾期未报" in listing.content.decode()


def test_supervisor_solves_problems_with_an_action(client, clerk_bazhou, supervisor):
    project = ProjectFactory()
    problem = problem_raise(project=project, actor=clerk_bazhou, description="拆迁")
    client.force_login(supervisor)
    url = reverse("admin:dossier_coordinationproblem_changelist")
    done = client.post(
        url,
        {"action": "handle_problems", "_selected_action": [problem.pk]},
        follow=True,
    )
    assert "已开始协调 1 个问题" in done.content.decode()
    problem.refresh_from_db()
    assert problem.state == ProblemState.HANDLING
    form = client.post(
        url, {"action": "solve_problems", "_selected_action": [problem.pk]}
    )
    assert "解决情况" in form.content.decode()
    client.post(
        url,
        {
            "action": "solve_problems",
            "_selected_action": [problem.pk],
            "apply": "1",
            "text": "已完成拆迁",
        },
    )
    problem.refresh_from_db()
    assert (problem.state, problem.resolution) == (ProblemState.SOLVED, "已完成拆迁")


def test_supervisor_changes_a_rule_and_the_lights_follow(
    client, supervisor, clerk_bazhou
):
    late = ProjectFactory(start_year=2020, end_year=2022, period="2020-2022")
    rule = HealthRule.objects.get(kind=HealthRuleKind.PAST_END_YEAR)
    health_refresh(project_ids=[late.pk])
    assert late.health.light == HealthLight.RED
    url = reverse("admin:dossier_healthrule_change", args=[rule.pk])

    client.force_login(clerk_bazhou)
    assert client.post(url, {"threshold": "9", "light": "red"}).status_code == 403

    client.force_login(supervisor)
    response = client.post(
        url, {"threshold": "9", "light": "red", "active": "on", "note": "放宽"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == Decimal("9")
    late.health.refresh_from_db()
    assert late.health.light == HealthLight.GREEN
    assert AuditEntry.objects.filter(
        content_type__model="healthrule", object_id=str(rule.pk)
    ).exists()


def test_every_dossier_page_opens_for_each_role(
    client, clerk_bazhou, supervisor, settings, tmp_path
):
    """Lists, add forms and change pages of the dossier answer 200 (or 403)."""
    from projects.dossier.attachments import attachment_add
    from projects.dossier.services import progress_update_submit
    from tests.dossier.test_attachments import png_bytes, upload

    settings.MEDIA_ROOT = str(tmp_path)
    record = YearRecordFactory(
        project=ProjectFactory(start_year=2025, end_year=2027, period="2025-2027"),
        year=timezone.localdate().year,
        phase=Phase.UNDER_CONSTRUCTION,
    )
    update = progress_update_submit(
        year_record=record,
        period=f"{record.year}-01",
        actor=clerk_bazhou,
        data={
            "physical_progress": "基础",
            "percent_complete": Decimal("5"),
            "problems": "缺电",
        },
    )
    photo = attachment_add(
        project=record.project,
        actor=clerk_bazhou,
        upload=upload("a.png", png_bytes()),
        kind="photo",
        progress_update=update,
    )
    problem = CoordinationProblem.objects.get(progress_update=update)
    rule = HealthRule.objects.first()
    pages = [
        reverse("admin:projects_project_change", args=[record.project.pk]),
        reverse("admin:projects_yearrecord_change", args=[record.pk]),
        reverse("admin:dossier_progressupdate_changelist"),
        reverse("admin:dossier_progressupdate_change", args=[update.pk]),
        reverse("admin:dossier_coordinationproblem_changelist"),
        reverse("admin:dossier_coordinationproblem_change", args=[problem.pk]),
        reverse("admin:dossier_coordinationproblem_add"),
        reverse("admin:dossier_attachment_changelist"),
        reverse("admin:dossier_attachment_change", args=[photo.pk]),
        reverse("admin:dossier_healthrule_changelist"),
        reverse("admin:dossier_healthrule_change", args=[rule.pk]),
    ]
    for user in (clerk_bazhou, supervisor):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 200, (user.username, url)
    client.force_login(clerk_bazhou)
    assert client.get(reverse("admin:dossier_progressupdate_add")).status_code == 200
    assert client.get(reverse("admin:dossier_attachment_add")).status_code == 200
    client.force_login(supervisor)
    # Supervisors read the updates and attachments; clerks file them.
    assert client.get(reverse("admin:dossier_progressupdate_add")).status_code == 403
    assert client.get(reverse("admin:dossier_attachment_add")).status_code == 403
