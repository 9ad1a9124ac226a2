"""Django's deployment checklist, security headers, login throttling, passwords."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # a Python subprocess
def test_check_deploy_passes_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portfolio.example.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(result.stdout, result.stderr)
    assert result.returncode == 0
    assert "no issues" in result.stdout


@pytest.mark.slow  # a Python subprocess
def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/api/schema/"])
def test_security_headers(client, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_login_attempts_are_rate_limited(client, clerk_bazhou):
    url = reverse("admin:login")
    statuses = [
        client.post(
            url, {"username": clerk_bazhou.username, "password": "wrong-guess"}
        ).status_code
        for _ in range(3)
    ]
    # The form again with an error, then locked on reaching the limit.
    assert statuses == [200, 200, 429]
    locked = client.post(
        url, {"username": clerk_bazhou.username, "password": "pw-for-tests-123"}
    )
    assert locked.status_code == 429
    assert not locked.wsgi_request.user.is_authenticated
    other = client.post(url, {"username": "t-admin", "password": "wrong"})
    assert other.status_code == 200  # another account is not locked


@pytest.mark.parametrize("password", ["12345678", "password", "abc"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)
