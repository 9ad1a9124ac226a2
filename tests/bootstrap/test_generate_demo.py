"""``generate_demo`` adds N valid synthetic projects with their year records."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from projects.models import Project, YearRecord

pytestmark = pytest.mark.django_db


def _generate(*args) -> str:
    out = StringIO()
    call_command("generate_demo", *args, stdout=out)
    return out.getvalue()


def test_generates_valid_projects_with_year_records(plan, reader):
    before = Project.objects.count()
    output = _generate("--projects", "40", "--seed", "7")
    assert "40 个演示项目" in output
    demo = Project.objects.filter(code__contains="-d")
    assert demo.count() == 40 == Project.objects.count() - before
    year = timezone.localdate().year
    for project in demo:
        project.full_clean()
        years = list(project.year_records.values_list("year", flat=True))
        if project.start_year <= year:
            assert years[0] == max(project.start_year, 2021)
        assert all(y <= year for y in years)
    for record in YearRecord.objects.filter(project__in=demo):
        record.full_clean()
    listed = reader.get("/api/v1/projects/", {"search": "演示", "page_size": 500})
    assert listed.json()["count"] == 40


def test_same_seed_same_projects_and_numbers_continue(plan):
    fields = ("table", "district_id", "start_year", "end_year", "phase")
    demo = Project.objects.filter(code__contains="-d").order_by("pk")
    _generate("--projects", "5", "--seed", "1")
    _generate("--projects", "5", "--seed", "1")
    rows = list(demo.values_list(*fields))
    assert rows[:5] == rows[5:]
    codes = list(demo.values_list("code", flat=True))
    assert len(set(codes)) == 10


def test_refuses_nonsense(plan):
    with pytest.raises(CommandError):
        _generate("--projects", "0")
