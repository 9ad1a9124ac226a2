"""The dashboard in a real headless Chromium (Debian's), driven by Selenium.

Logs in through the login form as a supervisor, opens the admin's index, checks
that each chart is drawn (visible, with a size) and shows the totals counted
here, and saves the screenshot the README shows (docs/img/dashboard.png).

Skips with the reason when Chromium is not installed locally; on CI (CI=true) it
must run, and fails instead.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from portfolio.choices import ReviewState
from projects.bootstrap.plan_loader import plan_load
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.browser import MARKS, PASSWORD, chrome
from tests.conftest import LOAD_DAY
from tests.factories import UserFactory

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "dashboard.png"


pytestmark = MARKS


@pytest.fixture
def browser():
    driver = chrome(1400, 1000)
    yield driver
    driver.quit()


def portfolio_in_motion() -> None:
    """Phases, states and money set directly: the screenshot should show some."""
    Project.objects.filter(table__number=1).update(phase=Phase.UNDER_CONSTRUCTION)
    Project.objects.filter(table__number=2, number__lte=8).update(phase=Phase.COMPLETED)
    Project.objects.filter(table__number=3, number__lte=30).update(
        phase=Phase.UNDER_CONSTRUCTION
    )
    Project.objects.filter(table__number=3, number__gt=30, number__lte=45).update(
        phase=Phase.IN_OPERATION
    )
    Project.objects.filter(table__number=4).update(phase=Phase.PREPARING)
    Project.objects.filter(table__number=6, number__lte=10).update(
        phase=Phase.UNDER_CONSTRUCTION
    )
    Project.objects.filter(table__number=7, number__lte=2).update(phase=Phase.SUSPENDED)
    this_year = YearRecord.objects.filter(year=LOAD_DAY.year)
    this_year.filter(project__table__number=1).update(state=ReviewState.SUBMITTED)
    this_year.filter(project__table__number=2).update(state=ReviewState.APPROVED)
    this_year.filter(project__table__number=3, project__number__lte=6).update(
        state=ReviewState.RETURNED
    )
    for record in this_year.filter(project__table__number__in=[1, 2, 3, 6]):
        record.planned_investment = Decimal(800 + record.project.number * 50)
        record.actual_investment = Decimal(300 + record.project.number * 35)
        record.save(update_fields=["planned_investment", "actual_investment"])
    YearRecord.objects.filter(
        year__lt=LOAD_DAY.year, project__table__number__in=[1, 2]
    ).update(state=ReviewState.APPROVED)


def test_supervisor_sees_the_charts_with_the_right_totals(
    plan_restored_afterwards, live_server, browser
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as wait_for
    from selenium.webdriver.support.ui import WebDriverWait

    plan_load(today=LOAD_DAY)  # a transactional test before this one may have flushed
    call_command("create_demo_accounts", stdout=StringIO())
    portfolio_in_motion()
    UserFactory.supervisor(username="browser-supervisor", first_name="督查员")

    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys("browser-supervisor")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 30).until(
        wait_for.presence_of_element_located((By.ID, "dashboard"))
    )

    # Counted here, independently of the dashboard's queries.
    projects = list(Project.objects.select_related("district", "sector"))
    by_district = Counter(p.district.name for p in projects)
    by_sector = Counter(p.sector.name for p in projects)
    states = Counter(
        YearRecord.objects.filter(year=LOAD_DAY.year).values_list("state", flat=True)
    )
    planned = sum(
        r.planned_investment or 0 for r in YearRecord.objects.filter(year=LOAD_DAY.year)
    )

    def chart(name: str):
        element = browser.find_element(By.CSS_SELECTOR, f'svg[data-chart="{name}"]')
        assert element.is_displayed(), name
        assert element.size["width"] > 300 and element.size["height"] > 50, name
        return element

    def bar_totals(element) -> dict[str, int]:
        totals = {}
        for bar in element.find_elements(By.CSS_SELECTOR, "g.bar"):
            shown = bar.find_element(By.CSS_SELECTOR, "text.total").text
            totals[bar.get_attribute("data-label")] = int(shown)
        return totals

    district_chart = chart("phase-by-district")
    assert district_chart.get_attribute("data-total") == str(len(projects))
    assert bar_totals(district_chart) == dict(by_district)
    sector_chart = chart("phase-by-sector")
    assert bar_totals(sector_chart) == dict(by_sector)
    # Each coloured segment is drawn with a width in proportion to its count.
    segments = sector_chart.find_elements(By.CSS_SELECTOR, "a.segment rect")
    assert segments and all(s.size["width"] > 0 for s in segments)
    assert sum(
        int(a.get_attribute("data-count"))
        for a in sector_chart.find_elements(By.CSS_SELECTOR, "a.segment")
    ) == len(projects)

    state_chart = chart("reports-by-state")
    assert bar_totals(state_chart) == {
        str(state.label): states.get(state, 0) for state in ReviewState
    }
    investment = chart("investment-by-sector")
    assert Decimal(investment.get_attribute("data-total-planned")) == planned
    chart("overdue")
    assert browser.find_element(By.ID, "kpi-projects").text.startswith(
        str(len(projects))
    )

    # Clicking a bar opens the list behind it.
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1400, min(max(height + 40, 1000), 6000))
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000

    label = district_chart.find_element(
        By.CSS_SELECTOR, 'g.bar[data-label="巴州区"] text.total'
    )
    label.click()
    WebDriverWait(browser, 30).until(wait_for.url_contains("/projects/project/"))
    paginator = browser.find_element(By.CSS_SELECTOR, "#changelist .paginator").text
    assert f"{by_district['巴州区']} 重大项目" in paginator
