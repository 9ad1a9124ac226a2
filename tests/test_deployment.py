"""docker-compose.yml and the image's entry commands (no Docker engine here)."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_names_every_service(compose):
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in compose["services"].items():
        assert "healthcheck" in service, name
    assert set(compose["volumes"]) >= {"pgdata", "redisdata"}


def test_app_services_share_one_image_and_the_contract_variables(compose):
    app = [compose["services"][n] for n in ("web", "worker", "beat")]
    assert len({s["build"]["dockerfile"] for s in app}) == 1
    for service in app:
        env = service["environment"]
        for variable in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "EMAIL_URL",
            "SECRET_KEY",
        ):
            assert variable in env
        assert (ROOT / service["build"]["dockerfile"]).exists()


def test_entrypoint_commands_exist(compose):
    entrypoint = (ROOT / "config/docker/entrypoint.sh").read_text()
    for service in ("web", "worker", "beat"):
        assert compose["services"][service]["command"][0] + ")" in entrypoint
    commands = get_commands()
    for name in re.findall(r"python manage.py (\w+)", entrypoint):
        assert name in commands, name
    assert importlib.util.find_spec("gunicorn") is not None
    assert os.access(ROOT / "config/docker/entrypoint.sh", os.X_OK)


@pytest.mark.slow  # a Python subprocess
def test_production_settings_load_and_celery_app_imports():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 60,
    }
    code = (
        "import django; django.setup();"
        "from config.wsgi import application;"
        "from config.celery_app import app; print(app.main)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "bazhong" in result.stdout
