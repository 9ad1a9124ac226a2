"""The composed admin pages: one registration each, the apps' mixins in one class."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from portfolio.choices import ReviewState
from projects.admin import ProjectAdminBase, YearRecordAdminBase, YearRecordLinks
from projects.bootstrap.admin import ProjectAdmin, YearRecordAdmin
from projects.dossier.admin import DossierProjectAdminMixin, DossierYearRecordAdminMixin
from projects.dossier.admin.attachments import AttachmentLinks
from projects.dossier.admin.problems import ProblemLinks
from projects.dossier.admin.progress import ProgressUpdateLinks
from projects.dossier.admin.projects import ProjectDossierInline
from projects.exchange.admin import ExcelProjectAdminMixin, ExcelYearRecordAdminMixin
from projects.models import Project, YearRecord

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("portfolio", "projects", "indicators", "config")


def test_each_page_is_registered_once_as_the_composed_class():
    assert type(admin.site.get_model_admin(Project)) is ProjectAdmin
    assert type(admin.site.get_model_admin(YearRecord)) is YearRecordAdmin
    assert ProjectAdmin.__mro__[1:4] == (
        ExcelProjectAdminMixin,
        DossierProjectAdminMixin,
        ProjectAdminBase,
    )
    assert YearRecordAdmin.__mro__[1:4] == (
        ExcelYearRecordAdminMixin,
        DossierYearRecordAdminMixin,
        YearRecordAdminBase,
    )
    # The bases and mixins are parts, never pages of their own.
    registered = {type(model_admin) for model_admin in admin.site._registry.values()}
    assert not registered & {
        ProjectAdminBase,
        YearRecordAdminBase,
        DossierProjectAdminMixin,
        DossierYearRecordAdminMixin,
        ExcelProjectAdminMixin,
        ExcelYearRecordAdminMixin,
    }


def unregister_calls() -> set[tuple[str, str]]:
    """Every ``….unregister(X)`` in the application's code, as (path, X)."""
    calls = set()
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "unregister"
                ):
                    argument = ast.unparse(node.args[0]) if node.args else ""
                    calls.add((path.relative_to(ROOT).as_posix(), argument))
    return calls


def test_no_page_of_ours_is_replaced_by_unregistering():
    # The one exception is Django's own user page, which django.contrib.auth
    # registers itself and portfolio replaces to add the scopes inline; it is
    # imported on the line above, so the order is fixed, not a matter of luck.
    assert unregister_calls() == {("portfolio/admin.py", "User")}


@pytest.mark.django_db
def test_the_mixins_add_to_the_base_through_super(supervisor):
    request = RequestFactory().get("/admin/projects/project/")
    request.user = supervisor
    page = admin.site.get_model_admin(Project)
    base = ProjectAdminBase(Project, admin.site)

    columns = page.get_list_display(request)
    assert columns[: len(base.list_display)] == list(base.list_display)
    assert columns[len(base.list_display) :] == [
        "light_display",
        "reasons_display",
        "total_investment_display",
        "year_money_display",
    ]
    assert page.get_list_filter(request)[1:] == list(base.list_filter)
    assert page.get_list_select_related(request) == [
        *base.list_select_related,
        "dossier",
        "health",
    ]
    assert page.get_inlines(request, None) == [
        ProjectDossierInline,
        YearRecordLinks,
        ProblemLinks,
        AttachmentLinks,
    ]
    assert "refresh_health" in page.get_actions(request)
    names = {pattern.name for pattern in page.get_urls()}
    assert {"projects_project_export", "projects_project_changelist"} <= names

    records = admin.site.get_model_admin(YearRecord)
    assert records.get_inlines(request, None) == [ProgressUpdateLinks]
    assert set(records.get_actions(request)) >= {
        "submit_records",
        "approve_records",
        "return_records",
    }
    names = {pattern.name for pattern in records.get_urls()}
    assert {
        "projects_yearrecord_template",
        "projects_yearrecord_import",
        "projects_yearrecord_import_preview",
        "projects_yearrecord_changelist",
    } <= names


@pytest.mark.django_db
def test_only_supervisors_get_the_light_refresh(clerk_bazhou):
    request = RequestFactory().get("/admin/projects/project/")
    request.user = clerk_bazhou
    assert "refresh_health" not in admin.site.get_model_admin(Project).get_actions(
        request
    )


@pytest.mark.django_db
def test_the_reason_page_is_the_grounds(client, supervisor):
    record = YearRecord.objects.order_by("pk").first()
    YearRecord.objects.filter(pk=record.pk).update(state=ReviewState.SUBMITTED)
    client.force_login(supervisor)
    page = client.post(
        reverse("admin:projects_yearrecord_changelist"),
        {"action": "return_records", "_selected_action": [record.pk]},
    )
    assert "admin/portfolio/review_reason.html" in [t.name for t in page.templates]
    body = page.content.decode()
    assert "填报员会看到退回原因" in body
    assert 'value="确认退回"' in body
