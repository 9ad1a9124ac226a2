"""No English left in the interface (issue 14).

Every admin page a clerk and a supervisor can reach — the home, each app's page,
each list, add form, change form and change log, and the pages the admins add
(Excel, reasons, progress overdue…) — is read as a person (or a screen reader)
reads it: its text, and its ``title``, ``alt``, ``aria-label``, ``placeholder``
and button labels. No ASCII word may be left that is not a proper noun or a code.

A code is a token with a digit or a sign in it (t1-001, scan_deadlines,
clerk-bazhou-gov, 2026-12-20) or anything inside ``<code>``. The proper nouns
and abbreviations allowed are listed in ``ALLOWED``.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db

ALLOWED = {
    # Abbreviations and file formats people use as they are.
    "API", "Excel", "EXCEL", "CSV", "XLSX", "xlsx", "ID", "URL", "PNG", "JPEG",
    "JPG", "PDF", "SHA", "IP", "JSON", "OC4IDS", "Webhook", "SEC", "HTTP",
    "GIF", "WebP", "Word", "DOCX", "MB",
    # Keys as printed on keyboards (Django's hint under a multiple choice).
    "Control", "Mac", "Command",
    # The plan's own words.
    "GDP", "TOD",
    # Proper nouns: products an office uses.
    "WeCom", "DingTalk",
}  # fmt: skip
SKIPPED_TAGS = {"script", "style", "code", "template", "noscript"}
READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
TOKEN = re.compile(r"[A-Za-z0-9_\-./@:+%#]+")


CJK = re.compile(r"[\u4e00-\u9fff]")


def codes() -> set[str]:
    """Codes of the reference data and login names: keys, not words."""
    from django.contrib.auth import get_user_model

    from portfolio.models import Cluster, Department, District, Plan, Sector

    found = set(get_user_model().objects.values_list("username", flat=True))
    for model in (Cluster, Department, District, Plan, Sector):
        found |= set(model.objects.values_list("code", flat=True))
    return found | {"tests"}  # the actor the test factories sign as


class Words(HTMLParser):
    """The ASCII words of a page that are neither codes nor allowed."""

    def __init__(self, known_codes: set[str] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.known_codes = known_codes
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self._skip += 1
        attributes = dict(attrs)
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.read(attributes[name], f"{tag}@{name}")
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.read(attributes.get("value") or "", "button")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in SKIPPED_TAGS:
            self._skip -= 1

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.read(data, "text")

    def read(self, text: str, where: str) -> None:
        for token in TOKEN.findall(text):
            if re.search(r"[\d_\-./@:+%#]", token) or len(token) < 2:
                continue  # a code, a number, a date, an address, one letter
            if token not in ALLOWED and token not in self.known_codes:
                self.found.append(f"{token} ({where}: {text.strip()[:60]!r})")


def english_on(html: str, known_codes: set[str] = frozenset()) -> list[str]:
    parser = Words(known_codes)
    parser.feed(html)
    return parser.found


def pages_for(user) -> list[str]:
    """Every admin page ``user`` can open: lists, forms, change logs, extras."""
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = {reverse("admin:index"), reverse("admin:password_change")}
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if not model_admin.has_view_or_change_permission(request):
            continue
        name = f"admin:{opts.app_label}_{opts.model_name}"
        urls.add(reverse("admin:app_list", args=[opts.app_label]))
        urls.add(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(request):
            urls.add(reverse(f"{name}_add"))
        first = model_admin.get_queryset(request).order_by("-pk").first()
        if first is not None:
            urls.add(reverse(f"{name}_change", args=[first.pk]))
            urls.add(reverse(f"{name}_history", args=[first.pk]))
        for pattern in model_admin.get_urls():
            extra = getattr(pattern, "name", None) or ""
            if not extra or extra.endswith(
                ("_changelist", "_add", "_change", "_history", "_delete")
            ):
                continue
            try:
                urls.add(reverse(f"admin:{extra}"))
            except NoReverseMatch:
                continue  # needs an object and an action: reached by a POST
    return sorted(urls)


def scan(client, user) -> dict[str, list[str]]:
    client.force_login(user)
    found = {}
    known = codes()
    for url in pages_for(user):
        response = client.get(url)
        kind = response.get("Content-Type", "")
        if response.status_code != 200 or not kind.startswith("text/html"):
            continue
        words = english_on(response.content.decode(), known)
        if words:
            found[url] = words
    return found


@pytest.fixture
def some_of_everything(clerk_bazhou, supervisor):
    """A record filled in and submitted, so that forms and logs have content."""
    from decimal import Decimal

    from projects import services
    from projects.choices import Phase
    from projects.models import YearRecord

    record = YearRecord.objects.get(project__code="t1-002", year=2026)
    services.year_record_update(
        record=record,
        actor=clerk_bazhou,
        data={"phase": Phase.UNDER_CONSTRUCTION, "planned_investment": Decimal(900)},
    )
    services.year_record_submit(record=record, actor=clerk_bazhou)


def test_the_scan_sees_english(client):
    assert english_on('<p>Choose all 项目</p><img alt="False">') == [
        "Choose (text: 'Choose all 项目')",
        "all (text: 'Choose all 项目')",
        "False (img@alt: 'False')",
    ]
    assert english_on("<p>表1-1 t1-001 API <code>python manage.py</code></p>") == []


def test_no_english_on_any_page_a_clerk_reaches(
    some_of_everything, client, clerk_bazhou
):
    assert scan(client, clerk_bazhou) == {}


def test_no_english_on_any_page_a_supervisor_reaches(
    some_of_everything, client, supervisor
):
    assert scan(client, supervisor) == {}


def test_the_login_page_and_its_error_are_chinese(client):
    page = client.get(reverse("admin:login"))
    assert english_on(page.content.decode()) == []
    refused = client.post(
        reverse("admin:login"), {"username": "nobody", "password": "wrong"}
    ).content.decode()
    assert english_on(refused) == []
    error = refused.split('class="errornote"')[1].split("</p>")[0]
    assert "请输入正确的用户名和密码。" in error
    assert not re.search(r"[\u4e00-\u9fff]\s*[.,]", error)  # no English stops


def test_the_admin_scripts_speak_chinese(client, clerk_bazhou):
    """The two-box selector and the other admin scripts read their words from
    /admin/jsi18n/; every word they use has a Chinese translation there."""
    from pathlib import Path

    import django.contrib.admin as admin_package

    client.force_login(clerk_bazhou)
    script = client.get(reverse("admin:jsi18n")).content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", script, re.S)[1])
    scripts = Path(admin_package.__file__).parent / "static" / "admin" / "js"
    used = set()
    for script in scripts.glob("*.js"):
        source = script.read_text()
        used |= {
            m.group(2)
            for m in re.finditer(r"\bgettext\(\s*(['\"])(.*?)\1\s*\)", source)
        }
    assert "Choose all %s" in used and "Remove all %s" in used
    missing = sorted(msgid for msgid in used if msgid not in catalog)
    assert missing == []


def test_the_api_docs_have_no_english_group(client):
    """Every group of the API docs reads in Chinese, and there is no "v1" group.

    The tags themselves are ASCII identifiers (issue 15: client generators make
    module names of them); what the docs show a person beside each is its
    Chinese description.
    """
    schema = client.get("/api/schema/", {"format": "json"}).json()
    tags = {
        tag
        for operations in schema["paths"].values()
        for operation in operations.values()
        for tag in operation.get("tags", [])
    }
    described = {tag["name"]: tag.get("description", "") for tag in schema["tags"]}
    assert tags and "v1" not in tags, tags
    assert not [tag for tag in tags if not CJK.search(described.get(tag, ""))], (
        described
    )


def test_the_administrators_home_names_login_protection_in_chinese(
    client, administrator
):
    """django-axes' "AXES / Access attempts" section is 登录保护 / 登录尝试."""
    client.force_login(administrator)
    html = client.get(reverse("admin:index")).content.decode()
    assert english_on(html, codes()) == []
    section = html.split('class="module desk-app app-axes"')[1].split("</section>")[0]
    assert "登录保护" in section and "登录尝试" in section
