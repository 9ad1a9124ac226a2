"""Regenerate ``fixtures/plan.json`` from ``fixtures/plan_source.txt``.

Developers run it after correcting the parser; the test suite checks that the
committed fixture equals a fresh parse, character for character.
"""

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from portfolio import seed
from portfolio.fixtures import PLAN_FIXTURE, build_plan_fixture


class Command(BaseCommand):
    # A property: argparse needs a real str, translated when the help is shown.
    @property
    def help(self):
        return gettext("从规划原文重新生成 fixtures/plan.json")

    def handle(self, *args, **options):
        data = build_plan_fixture(seed.read_source())
        PLAN_FIXTURE.write_text(
            json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        self.stdout.write(f"wrote {PLAN_FIXTURE} ({len(data['projects'])} projects)")
