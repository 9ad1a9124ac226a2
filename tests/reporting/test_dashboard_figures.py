"""Every figure on the dashboard equals the list behind its link.

The page is read as a person reads it: every number that is a link (the key
figures, the tables, the bars and segments of the charts) is followed, and the
list it opens must count exactly that number. Not a sample: all of them, for a
supervisor (the whole city) and a clerk (one district).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone

from portfolio.choices import ReviewState
from projects.choices import Phase
from projects.models import Project, YearRecord
from projects.reporting.dashboard import dashboard_build

pytestmark = pytest.mark.django_db


class FigureLinks(HTMLParser):
    """(url, number) for every number on the page that links to a list.

    A link whose text is a number; a chart segment (``data-count``); a chart bar
    (``data-total``) by the link around its total; a key figure (``a.kpi``) by
    its ``.value``. Money is not a count and is left out (``kpi-investment``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[tuple[str, int, str]] = []
        self._anchor: dict | None = None
        self._bar_total: str | None = None
        self._skip = 0  # inside <title>: a tooltip, not the link's text

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "g" and "bar" in classes and "data-total" in attributes:
            self._bar_total = attributes["data-total"]
        if tag == "text" and "total" in classes and self._anchor is not None:
            self._anchor["bar_total"] = self._bar_total
        if tag == "title":
            self._skip += 1
        if tag != "a" or "href" not in attributes:
            if self._anchor is not None and "value" in classes:
                self._anchor["in_value"] = True
            return
        self._anchor = {
            "href": attributes["href"],
            "text": "",
            "value": "",
            "in_value": False,
            "kind": "kpi" if "kpi" in classes else "link",
            "id": attributes.get("id", ""),
        }
        if "segment" in classes:
            self.figures.append(
                (attributes["href"], int(attributes["data-count"]), "segment")
            )

    def handle_endtag(self, tag):
        if tag == "title":
            self._skip -= 1
        if tag == "span" and self._anchor is not None:
            self._anchor["in_value"] = False
        if tag != "a" or self._anchor is None:
            return
        anchor, self._anchor = self._anchor, None
        text = anchor["text"].strip().replace(",", "")
        if anchor["kind"] == "kpi":
            value = anchor["value"].strip().replace(",", "")
            if anchor["id"] != "kpi-investment" and value.isdigit():
                self.figures.append((anchor["href"], int(value), anchor["id"]))
        elif text.isdigit():
            self.figures.append((anchor["href"], int(text), "number"))
            if anchor.get("bar_total") is not None:  # a bar's total, as drawn
                assert int(anchor["bar_total"]) == int(text)

    def handle_data(self, data):
        if self._anchor is None or self._skip:
            return
        self._anchor["text"] += data
        if self._anchor["in_value"]:
            self._anchor["value"] += data


def figures_on(html: str) -> list[tuple[str, int, str]]:
    dashboard = html.split('id="dashboard"', 1)[1].split("</div>\n</div>", 1)[0]
    parser = FigureLinks()
    parser.feed(dashboard)
    return parser.figures


def listed(user, url: str) -> int:
    """The number of rows the admin list behind ``url`` counts for ``user``.

    The list's own code (its filters, its search, the user's scope) builds it
    from the link, without rendering the page: a hundred links stay quick. An
    invalid filter raises, as the page would refuse it.
    """
    path = urlsplit(url).path
    match = resolve(path)
    assert match.url_name.endswith("_changelist"), url
    app_label, model_name = match.url_name.removesuffix("_changelist").split("_", 1)
    model = apps.get_model(app_label, model_name)
    request = RequestFactory().get(url)
    request.user = user
    changelist = admin.site._registry[model].get_changelist_instance(request)
    return changelist.result_count


@pytest.fixture
def portfolio_with_everything(db):
    """Every figure non-zero somewhere, and the case of issue 14: a project past
    its end year and still preparing (overdue once, as past its end)."""
    Project.objects.filter(table__number=1).update(phase=Phase.UNDER_CONSTRUCTION)
    Project.objects.filter(table__number=2, number__lte=5).update(phase=Phase.COMPLETED)
    Project.objects.filter(table__number=3, number__lte=10).update(
        phase=Phase.IN_OPERATION
    )
    Project.objects.filter(table__number=4).update(phase=Phase.PREPARING)
    Project.objects.filter(table__number=5).update(phase=Phase.SUSPENDED)
    Project.objects.filter(table__number=7, number__lte=2).update(phase=Phase.CANCELLED)
    late = Project.objects.filter(table__number=4).order_by("number").first()
    Project.objects.filter(pk=late.pk).update(start_year=2020, end_year=2022)
    year = timezone.localdate().year
    this_year = YearRecord.objects.filter(year=year)
    this_year.filter(project__table__number=1).update(state=ReviewState.SUBMITTED)
    this_year.filter(project__table__number=2).update(state=ReviewState.APPROVED)
    this_year.filter(project__table__number=3, project__number__lte=5).update(
        state=ReviewState.RETURNED, planned_investment=100, actual_investment=50
    )
    YearRecord.objects.filter(year=year - 1, project__table__number=6).update(
        state=ReviewState.APPROVED
    )
    return late


def _check_every_figure(client, user) -> int:
    client.force_login(user)
    html = client.get(reverse("admin:index")).content.decode()
    figures = figures_on(html)
    checked = {}
    for url, value, where in figures:
        if url.startswith(("#", "?")):  # the overdue section; the year's pages
            continue
        if url not in checked:
            checked[url] = listed(user, url)
        assert checked[url] == value, (where, url, value, checked[url])
    # And the lists open as pages, e.g. the first and the last figure's.
    for url in (next(iter(checked)), list(checked)[-1]):
        assert client.get(url).context_data["cl"].result_count == checked[url]
    return len(checked)


def test_every_figure_of_the_supervisors_dashboard_equals_its_list(
    portfolio_with_everything, client, supervisor
):
    checked = _check_every_figure(client, supervisor)
    # Key figures, two matrices of 7 phases, lights, states, overdue, money rows.
    assert checked > 60


def test_every_figure_of_a_clerks_dashboard_equals_its_list(
    portfolio_with_everything, client, clerk_bazhou
):
    assert _check_every_figure(client, clerk_bazhou) > 20


def test_late_start_counts_what_its_link_lists(
    portfolio_with_everything, client, supervisor
):
    """到期未开工 left out a project past its end year; its link did not."""
    late = portfolio_with_everything
    dashboard = dashboard_build(supervisor)
    late_start = dashboard.overdue_counts["late_start"]
    past_end = dashboard.overdue_counts["past_end"]
    client.force_login(supervisor)
    for figure in (late_start, past_end):
        assert listed(supervisor, figure.url) == figure.value
    past_end_list = client.get(past_end.url).context_data["cl"].queryset
    late_list = client.get(late_start.url).context_data["cl"].queryset
    assert late in past_end_list and late not in late_list


def test_the_overdue_key_figure_is_the_sum_of_its_section(
    portfolio_with_everything, client, supervisor
):
    client.force_login(supervisor)
    html = client.get(reverse("admin:index")).content.decode()
    dashboard = dashboard_build(supervisor)
    key = [f for f in figures_on(html) if f[2] == "kpi-overdue"]
    assert key == [("#overdue", dashboard.overdue_total, "kpi-overdue")]
    assert dashboard.overdue_total == sum(
        f.value for f in dashboard.overdue_counts.values()
    )
    assert 'id="overdue"' in html
    assert urlsplit(dashboard.overdue_counts["report"].url).query.startswith("year=all")
