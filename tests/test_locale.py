"""config/locale completes Django's Chinese: its compiled .mo files match the .po.

The .po files are the source (people edit them), the .mo files what Django reads:
a .po edited without ``msgfmt`` would change nothing on screen.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "config" / "locale"
CATALOGS = sorted((LOCALE / "zh_Hans" / "LC_MESSAGES").glob("*.po"))


def po_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr of a .po file (the subset of the format it uses)."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = None
    for line in path.read_text().splitlines() + [""]:
        line = line.strip()
        if not line:
            if current.get("msgid"):
                entries[current["msgid"]] = current.get("msgstr", "")
            current, key = {}, None
        elif line.startswith("#"):
            continue
        elif match := re.match(r'(msgid|msgstr) (".*")$', line):
            key = match[1]
            current[key] = ast.literal_eval(match[2])
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
    return entries


def test_there_are_catalogs():
    assert {p.stem for p in CATALOGS} == {"django", "djangojs"}


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.name)
def test_each_mo_matches_its_po(po):
    entries = po_entries(po)
    assert entries
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for msgid, msgstr in entries.items():
        assert msgstr, msgid
        assert compiled.gettext(msgid) == msgstr, msgid
        words = re.sub(r"%\(\w+\)s|%s", "", msgstr)  # placeholders are code
        assert not re.search(r"[A-Za-z]{3,}", words), msgstr


def test_django_reads_them(settings):
    from django.utils import translation

    assert LOCALE in [Path(p) for p in settings.LOCALE_PATHS]
    with translation.override("zh-hans"):
        assert translation.gettext("Model name") == "名称"
        assert translation.gettext("access attempts") == "登录尝试"
