"""What the browser tests share: Debian's Chromium, headless, and a live server
whose committed data is put back afterwards.

``MISSING`` says why no browser can run here (a skip; on CI a failure, since
``.ci/run`` installs Chromium). ``chrome(width, height)`` starts one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PASSWORD = "pw-for-tests-123"  # tests.factories.UserFactory's


def _missing() -> str | None:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return (
            "Chromium is not installed (/usr/bin/chromium, /usr/bin/chromedriver): "
            "apt-get install -y chromium chromium-driver"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    return None


MISSING = _missing()
if MISSING and os.environ.get("CI", "").lower() == "true":
    # CI installs Chromium in .ci/run: its absence there is a failure, not a skip.
    pytest.fail(f"browser test cannot run on CI: {MISSING}", pytrace=False)

MARKS = [
    pytest.mark.slow,  # a real Chromium and a live server
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
    pytest.mark.django_db(transaction=True),
]


def chrome(width: int, height: int, *flags: str):
    """A headless Chromium of that window size, in Chinese."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=zh-CN",
        f"--window-size={width},{height}",
        *flags,
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    return driver
