"""The same words for the same thing on every page, filter and export.

- The phase 在建 reads 在建（新开工） in a project's first year and 在建（续建）
  after, wherever a year is in view (year records, the project's current phase,
  the API, Excel); filters and the dashboard's columns say 在建, which both begin
  with.
- A project is cited as the plan prints it, 表1-1, on every page; its code
  (t1-001) is the key of the API and of machine files only.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from projects.choices import Phase, phase_label
from projects.exchange import excel
from projects.exchange.excel import PHASE_WORDS
from projects.models import Project, YearRecord
from tests.exchange.helpers import sheet, template_download

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def test_phase_words():
    assert phase_label("under_construction", year=2022, start_year=2022) == (
        "在建（新开工）"
    )
    assert phase_label("under_construction", year=2023, start_year=2022) == (
        "在建（续建）"
    )
    assert phase_label("under_construction") == "在建"
    assert phase_label("") == "未填报"
    assert phase_label("preparing", year=2023, start_year=2022) == "前期"


@pytest.fixture
def continuing():
    """表1-1 (2021–2023), under construction this year: 在建（续建）."""
    project = Project.objects.get(code="t1-001")
    YearRecord.objects.filter(project=project).update(phase=Phase.UNDER_CONSTRUCTION)
    Project.objects.filter(pk=project.pk).update(phase=Phase.UNDER_CONSTRUCTION)
    return Project.objects.get(pk=project.pk)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_phase_reads_the_same_on_every_page(continuing, client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    record = YearRecord.objects.get(project=continuing, year=YEAR)
    pages = {
        "projects": reverse("admin:projects_project_changelist"),
        "project": reverse("admin:projects_project_change", args=[continuing.pk]),
        "records": reverse("admin:projects_yearrecord_changelist"),
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert "在建（续建）" in html, name
        assert not re.search(r">\s*续建\s*<", html), name
    # A filter offers the phase as such: 在建 (both kinds of year).
    filters = (
        client.get(pages["records"]).content.decode().split('id="changelist-filter"')[1]
    )
    assert re.search(r">\s*在建\s*</a>", filters)
    record_page = client.get(
        reverse("admin:projects_yearrecord_change", args=[record.pk])
    ).content.decode()
    assert "在建" in record_page


def test_the_api_says_it_in_the_same_words(continuing, client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    record = YearRecord.objects.get(project=continuing, year=YEAR)
    data = client.get(f"/api/v1/year-records/{record.pk}/").json()
    assert (data["phase"], data["phase_display"]) == (
        "under_construction",
        "在建（续建）",
    )
    project = client.get(f"/api/v1/projects/{continuing.code}/").json()
    assert project["phase_display"] == "在建（续建）"
    assert project["year_record"]["phase_display"] == "在建（续建）"


def test_excel_says_it_in_the_same_words_and_reads_them_back(
    continuing, client, clerk_bazhou
):
    client.force_login(clerk_bazhou)
    response = client.get(
        reverse("admin:projects_project_export"),
        {"_download": "1", "_year": YEAR, "_layout": excel.BY_TABLE},
    )
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    first = next(workbook["表1"].iter_rows(min_row=3, max_row=3, values_only=True))
    assert "在建（续建）" in first
    template = template_download(client, YEAR)
    ws = sheet(template)
    values = {c.value for row in ws.iter_rows(min_row=3) for c in row}
    assert "在建（续建）" in values
    [validation] = ws.data_validations.dataValidation
    assert (
        "在建（新开工）" in validation.formula1
        and "在建（续建）" in validation.formula1
    )
    for word in ("在建（新开工）", "在建（续建）", "在建", "续建", "新开工"):
        typed = unicodedata.normalize("NFKC", word)  # as the import reads a cell
        assert PHASE_WORDS[typed] == Phase.UNDER_CONSTRUCTION, word


def test_a_project_is_cited_as_the_plan_prints_it(continuing, client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    record = YearRecord.objects.get(project=continuing, year=YEAR)
    for url in (
        reverse("admin:projects_project_changelist"),
        reverse("admin:projects_project_change", args=[continuing.pk]),
        reverse("admin:projects_yearrecord_changelist"),
        reverse("admin:projects_yearrecord_change", args=[record.pk]),
        reverse("admin:index"),
    ):
        text = text_of(client.get(url).content.decode())
        assert "表1-1" in text, url
        assert not re.search(r"\bt\d-\d{3}\b", text), url
    found = client.get(reverse("admin:projects_project_changelist"), {"q": "表1-1"})
    assert list(found.context_data["cl"].queryset) == [continuing]
    assert str(continuing) == f"表1-1 {continuing.name}"
    assert continuing.reference == "表1-1"


def test_the_dashboard_says_the_same_phase_words(continuing):
    from projects.reporting.dashboard import _past_end_items

    Project.objects.filter(pk=continuing.pk).update(end_year=2022)
    [item] = _past_end_items(
        Project.objects.filter(pk=continuing.pk), timezone.localdate()
    )
    assert item.subject.startswith("表1-1 ")
    assert item.detail.endswith("当前阶段：在建（续建）")
