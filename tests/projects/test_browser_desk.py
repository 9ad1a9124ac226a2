"""The clerk's desk in a real headless Chromium at an office screen's 1366×768.

A clerk and a supervisor log in through the login form and walk a year's report
with the buttons on the record's own page: fill → submit → return with a reason
→ fix → submit → approve. The change log must read in labels, never in field
names. On the way the layout is measured as a person would see it (no list
hiding columns behind a scroll bar, names not broken every few characters, the
menu at the top of the clerk's home) and the screenshots the README shows are
saved under docs/img/.

Skips with the reason when Chromium is not installed locally; on CI (CI=true) it
must run, and fails instead.
"""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from portfolio.choices import ReviewState
from projects.bootstrap.plan_loader import plan_load
from projects.models import YearRecord
from tests.browser import MARKS, PASSWORD, chrome
from tests.conftest import LOAD_DAY
from tests.factories import UserFactory

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"
WIDTH, HEIGHT = 1366, 768
# The old change log's words (issue 14): field names and codes.
RAW = re.compile(
    r"\b(state|phase|planned_investment|actual_investment|percent_complete|"
    r"department_id|draft|submitted|returned|approved|under_construction|None)\b"
)


pytestmark = MARKS


@pytest.fixture
def browser():
    driver = chrome(WIDTH, HEIGHT, "--hide-scrollbars")
    yield driver
    driver.quit()


class Desk:
    """The browser as a person uses it: pages, fields, buttons, what they see."""

    def __init__(self, browser, base: str):
        from selenium.webdriver.common.by import By

        self.browser = browser
        self.base = base
        self.by = By

    def find(self, css: str):
        return self.browser.find_element(self.by.CSS_SELECTOR, css)

    def all(self, css: str):
        return self.browser.find_elements(self.by.CSS_SELECTOR, css)

    def wait_for(self, css: str):
        from selenium.webdriver.support import expected_conditions as wait
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.browser, 30).until(
            wait.presence_of_element_located((self.by.CSS_SELECTOR, css))
        )

    def open(self, path: str) -> None:
        self.browser.get(f"{self.base}{path}")

    def log_in(self, username: str) -> None:
        self.open("/admin/login/?next=/admin/")
        self.find("input[name=username]").send_keys(username)
        self.find("input[name=password]").send_keys(PASSWORD)
        self.find("input[type=submit]").click()
        self.wait_for("#desk-menu")

    def log_out(self) -> None:
        self.find("#logout-form button").click()
        self.wait_for("body")
        self.browser.delete_all_cookies()

    def click(self, css: str) -> None:
        element = self.find(css)
        self.browser.execute_script(
            "arguments[0].scrollIntoView({block:'center'})", element
        )
        element.click()

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        element.clear()
        element.send_keys(text)

    def messages(self) -> list[tuple[str, str]]:
        return [
            (m.get_attribute("class"), m.text) for m in self.all("ul.messagelist > li")
        ]

    def state(self) -> str:
        return self.find("#review-state").text

    def js(self, script: str, *args):
        return self.browser.execute_script(script, *args)

    def shot(self, name: str, *, full: bool = False) -> Path:
        """Save docs/img/<name>.png: the 1366×768 screen, or the whole page."""
        IMAGES.mkdir(parents=True, exist_ok=True)
        path = IMAGES / f"{name}.png"
        if full:
            height = self.js("return document.documentElement.scrollHeight")
            self.browser.set_window_size(WIDTH, min(max(height, HEIGHT), 4000))
        try:
            assert self.browser.save_screenshot(str(path))
        finally:
            self.browser.set_window_size(WIDTH, HEIGHT)
        assert path.stat().st_size > 10_000
        return path

    def list_fits(self) -> None:
        """No column of the list hides behind a horizontal scroll bar."""
        overflow = self.js(
            "const r = document.querySelector('#changelist .results');"
            "return r ? r.scrollWidth - r.clientWidth : -1;"
        )
        page = self.js(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow == 0 and page <= 0, (self.browser.current_url, overflow, page)

    def lines(self, css: str) -> int:
        """How many lines of text the (first) element's text takes."""
        return self.js(
            "const e = document.querySelector(arguments[0]);"
            "const h = parseFloat(getComputedStyle(e).lineHeight) || 18;"
            "const range = document.createRange(); range.selectNodeContents(e);"
            "return Math.round(range.getBoundingClientRect().height / h);",
            css,
        )


def fresh_portfolio() -> None:
    plan_load(today=LOAD_DAY)  # a transactional test before this one may have flushed
    call_command("create_demo_accounts", stdout=StringIO())
    call_command("refresh_health", stdout=StringIO())
    call_command(
        "scan_deadlines",
        "--today",
        timezone.localdate().isoformat(),
        "--no-send",
        stdout=StringIO(),
    )


def test_the_desk_flow_at_1366_pixels(plan_restored_afterwards, live_server, browser):
    fresh_portfolio()
    UserFactory.clerk(["bazhou-gov"], username="desk-clerk", first_name="巴州区填报员")
    UserFactory.supervisor(username="desk-supervisor", first_name="市督查员")
    year = timezone.localdate().year
    record = YearRecord.objects.select_related("project").get(
        project__code="t1-002", year=year
    )
    page = f"/admin/projects/yearrecord/{record.pk}/change/"
    desk = Desk(browser, live_server.url)

    # --- The clerk's home: the menu at the top, in the first screen ----------
    desk.log_in("desk-clerk")
    menu = desk.find("#desk-menu")
    assert menu.location["y"] < 200 and menu.is_displayed()
    records_link = desk.find("#desk-menu .model-yearrecord a")
    assert records_link.location["y"] + records_link.size["height"] < HEIGHT
    assert desk.find("#dashboard").location["y"] > menu.location["y"]
    desk.shot("desk-home")

    # --- This year's records, the filter showing the year --------------------
    records_link.click()
    desk.wait_for("#result_list")
    assert f"年度记录（{year}年度）" in desk.find("#content h1").text
    # The filters show the current plan and, among the years, this one chosen.
    chosen = [link.text for link in desk.all("#changelist-filter li.selected a")]
    assert f"{year}年" in chosen, chosen
    desk.list_fits()
    assert desk.lines("#result_list tbody .field-project_name") <= 2
    desk.shot("desk-records")

    # --- Fill in the report and submit it with the button on its page --------
    desk.open(page)
    assert desk.state() == "填报中"
    assert {b.get_attribute("id") for b in desk.all(".review-button")} == {
        "review-submit"
    }
    from selenium.webdriver.support.ui import Select

    Select(desk.find("#id_phase")).select_by_value("under_construction")
    desk.type("#id_planned_investment", "1200")
    desk.type("#id_actual_investment", "300")
    desk.type("#id_percent_complete", "40")
    desk.type("#id_progress", "主体结构施工中，完成桩基。")
    desk.click("input[name=_continue]")
    desk.wait_for("#review-panel")
    assert any("成功修改" in text for _, text in desk.messages())
    desk.click("#review-submit")
    desk.wait_for("#review-panel")
    assert desk.state() == "已提交"
    [(kind, text)] = desk.messages()
    assert "success" in kind and "已提交" in text
    # Read-only now: no input to type in, no 保存, no reason box.
    assert not desk.all("input[name=_save]") and not desk.all("#id_reason")
    assert not desk.all(".review-button")  # approving is not a clerk's button
    assert "不能修改" in desk.find("#read-only-note").text
    desk.shot("desk-record-submitted")
    desk.log_out()

    # --- The supervisor returns it, with a reason ----------------------------
    desk.log_in("desk-supervisor")
    desk.open(page)
    assert {b.get_attribute("id") for b in desk.all(".review-button")} == {
        "review-approve",
        "review-return",
    }
    desk.type("#review-reason-return", "完成投资与统计台账不一致，请核实后重报。")
    desk.shot("desk-record-review")
    desk.click("#review-return")
    desk.wait_for("#review-panel")
    assert desk.state() == "已退回"
    desk.log_out()

    # --- The clerk fixes it and submits again ---------------------------------
    desk.log_in("desk-clerk")
    desk.open(page)
    assert "完成投资与统计台账不一致" in desk.find("#return-reason").text
    desk.type("#id_actual_investment", "420")
    desk.click("#save-and-submit")
    desk.wait_for("#review-panel")
    assert desk.state() == "已提交"
    desk.log_out()

    # --- The supervisor approves it -------------------------------------------
    desk.log_in("desk-supervisor")
    desk.open(page)
    desk.click("#review-approve")
    desk.wait_for("#review-panel")
    assert desk.state() == "已审核"
    assert {b.get_attribute("id") for b in desk.all(".review-button")} == {
        "review-reopen"
    }
    record.refresh_from_db()
    assert record.state == ReviewState.APPROVED
    assert record.actual_investment == 420

    # --- The change log reads in labels ----------------------------------------
    desk.open(f"/admin/projects/yearrecord/{record.pk}/history/")
    log = desk.find("table.history").text
    for line in (
        "审核状态：填报中 → 已提交",
        "审核状态：已提交 → 已退回",
        "审核状态：已退回 → 已提交",
        "审核状态：已提交 → 已审核",
        "完成投资（万元）：300 → 420",
        "年度阶段：未填报 → 在建（续建）",
    ):
        assert line in log, line
    assert "完成投资与统计台账不一致" in log
    assert not RAW.search(log), RAW.search(log)
    desk.shot("desk-history")

    # --- The main lists fit the screen ------------------------------------------
    desk.open("/admin/projects/project/")
    desk.list_fits()
    assert desk.lines("#result_list tbody .field-name") <= 2
    desk.shot("desk-projects")
    desk.open("/admin/alerts/notice/")
    desk.wait_for("#result_list")
    desk.list_fits()
    assert desk.all("#result_list tbody .field-kind")
    assert desk.lines("#result_list tbody .field-kind") == 1  # not a char a line
    assert desk.find("#scan-note").is_displayed()
    desk.shot("desk-notices")
    desk.log_out()

    # --- The two-box selector speaks Chinese -----------------------------------
    desk.log_in("desk-clerk")
    desk.open(f"/admin/projects/project/{record.project.pk}/change/")
    desk.wait_for(".selector-chooseall")
    selector = desk.find(".selector").text
    assert "全选" in selector and "Choose" not in selector and "Remove" not in selector
