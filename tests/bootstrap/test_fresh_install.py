"""A fresh install looks neither empty nor alarming, and its doors lead somewhere.

``make run`` computes the traffic lights after loading the plan; 查看站点 opens the
dashboard; the site has a favicon.
"""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from projects.dossier.models import ProjectHealth
from projects.models import Project
from projects.reporting.dashboard import dashboard_build

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def recipe(target: str) -> list[str]:
    """The commands of a Makefile target, in order."""
    text = (ROOT / "Makefile").read_text()
    body = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.M)[1]
    return [line.strip() for line in body.splitlines()]


def test_make_run_computes_the_lights_after_loading_the_plan():
    commands = recipe("run")
    load = next(i for i, c in enumerate(commands) if "manage.py load_plan" in c)
    lights = next(i for i, c in enumerate(commands) if "manage.py refresh_health" in c)
    serve = next(i for i, c in enumerate(commands) if "manage.py serve" in c)
    assert load < lights < serve
    entrypoint = (ROOT / "config" / "docker" / "entrypoint.sh").read_text()
    assert entrypoint.index("load_plan") < entrypoint.index("refresh_health")


def test_after_the_refresh_no_light_is_left_uncomputed(supervisor):
    """What ``make run`` does after ``load_plan``: every project has its light."""
    assert ProjectHealth.objects.count() < Project.objects.count()  # as loaded
    out = StringIO()
    call_command("refresh_health", stdout=out)
    assert f"已计算 {Project.objects.count()} 个项目" in out.getvalue()
    lights = {
        item.state: item.figure.value for item in dashboard_build(supervisor).lights
    }
    assert lights["none"] == 0
    assert sum(lights.values()) == Project.objects.count()


def test_view_site_opens_the_dashboard(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    html = client.get(reverse("admin:index")).content.decode()
    assert '<a href="/">查看站点</a>' in html
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert 'id="dashboard"' in response.content.decode()


def test_the_front_page_sends_a_visitor_to_log_in(client):
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_a_favicon_is_served_and_named_by_every_page(client, clerk_bazhou):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/x-icon"
    assert b"".join(icon.streaming_content).startswith(b"\x00\x00\x01\x00")
    assert "max-age=86400" in icon["Cache-Control"]
    link = '<link rel="icon" href="/favicon.ico"'
    assert link in client.get(reverse("admin:login")).content.decode()
    client.force_login(clerk_bazhou)
    assert link in client.get(reverse("admin:index")).content.decode()
