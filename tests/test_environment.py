"""The suite runs against the real services CI provides."""

import os

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_ci_uses_postgresql():
    if not os.environ.get("CI"):
        pytest.skip("outside CI the embedded SQLite default is allowed")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert "PostgreSQL" in cursor.fetchone()[0]


def test_ci_uses_redis_broker():
    if not os.environ.get("CI"):
        pytest.skip("outside CI the embedded broker is allowed")
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    import redis

    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()


def test_settings_are_chinese_and_shanghai():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
