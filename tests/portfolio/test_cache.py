"""The cache is shared by every process: one throttle bucket per caller, not per
worker (issue 13: two gunicorn workers let twice the configured writes through)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from rest_framework.request import Request

from portfolio.api.throttling import PerClientRateThrottle
from portfolio.cache import SharedRedisCache, cache_settings

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS = "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize(
    ("cache_url", "broker_url", "backend", "location"),
    [
        # make run: SQLite and the filesystem broker → the database cache.
        ("", "filesystem://", "django.core.cache.backends.db.DatabaseCache", None),
        # A Redis broker → the same Redis (own key prefix).
        ("", REDIS, "portfolio.cache.SharedRedisCache", REDIS),
        # CACHE_URL (or REDIS_URL) wins.
        ("redis://cache:6379/1", REDIS, "portfolio.cache.SharedRedisCache", None),
        (
            "dbcache://my_cache",
            REDIS,
            "django.core.cache.backends.db.DatabaseCache",
            "my_cache",
        ),
        (
            "locmemcache://",
            "filesystem://",
            "django.core.cache.backends.locmem.LocMemCache",
            None,
        ),
    ],
)
def test_the_cache_is_chosen_from_the_environment(
    cache_url, broker_url, backend, location
):
    default = cache_settings(cache_url=cache_url, broker_url=broker_url)["default"]
    assert default["BACKEND"] == backend
    if location is not None:
        assert default["LOCATION"] == location
    if cache_url.startswith("redis://"):
        assert default["LOCATION"] == cache_url


def _request(address: str) -> Request:
    request = Request(RequestFactory().get("/api/v1/districts/", REMOTE_ADDR=address))
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    return request


def _allowed(throttle_cache, address: str) -> bool:
    throttle = PerClientRateThrottle()
    throttle.cache = throttle_cache
    return throttle.allow_request(_request(address), view=None)


def _two_clients():
    """Two cache clients with their own connections, as two workers have."""
    return caches.create_connection("default"), caches.create_connection("default")


@pytest.mark.django_db
@override_settings(API_THROTTLE_RATE="3/minute")
def test_two_workers_share_one_bucket():
    first, second = _two_clients()
    assert first is not second
    address = "198.51.100.7"
    assert [_allowed(c, address) for c in (first, second, first)] == [True] * 3
    assert not _allowed(second, address)  # the 4th, whichever worker gets it
    assert _allowed(second, "198.51.100.8")  # another caller, another bucket


@pytest.mark.django_db
def test_the_database_cache_is_shared_too(settings):
    """The embedded default: the buckets are rows of ``portfolio_cache``."""
    settings.CACHES = cache_settings(cache_url="", broker_url="filesystem://")
    call_command("createcachetable", verbosity=0)
    first, second = _two_clients()
    assert isinstance(first, DatabaseCache)
    with override_settings(API_THROTTLE_RATE="2/minute"):
        assert _allowed(first, "198.51.100.9") and _allowed(second, "198.51.100.9")
        assert not _allowed(first, "198.51.100.9")


def test_clear_leaves_the_brokers_keys_alone():
    """The Redis cache may share the broker's database: clear() is its keys only."""
    if not isinstance(caches["default"], SharedRedisCache):
        pytest.skip("the cache is not Redis here")
    client = caches["default"]._cache.get_client(None, write=True)
    client.set("_kombu.binding.test-w13b", "queue")
    cache.set("bucket", [1, 2, 3], 60)
    cache.set("bucket", [1], 60, version=2)
    try:
        cache.clear()
        assert cache.get("bucket") is None and cache.get("bucket", version=2) is None
        assert client.get("_kombu.binding.test-w13b") == b"queue"
    finally:
        client.delete("_kombu.binding.test-w13b")


def test_an_unreachable_redis_is_an_empty_cache_not_a_500():
    down = SharedRedisCache(
        "redis://127.0.0.1:1/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )
    down.set("k", "v", 60)
    assert down.get("k", "default") == "default"
    assert down.add("k", "v") is False
    down.clear()
    with override_settings(API_THROTTLE_RATE="1/minute"):
        # Throttling is off while the cache is down: requests go through.
        assert _allowed(down, "198.51.100.10") and _allowed(down, "198.51.100.10")


@pytest.mark.slow  # a Python subprocess
@override_settings(API_THROTTLE_RATE="3/minute")
def test_another_process_spends_the_same_bucket():
    """A second process (another worker) takes two requests of the bucket; this
    one gets the third, and the fourth is refused."""
    if not isinstance(caches["default"], SharedRedisCache):
        pytest.skip("the cache is not Redis here: the subprocess would not share it")
    cache.clear()
    code = (
        "import django; django.setup();"
        "from django.test import override_settings;"
        "from tests.portfolio.test_cache import _allowed;"
        "from django.core.cache import cache;"
        "ctx = override_settings(API_THROTTLE_RATE='3/minute'); ctx.enable();"
        "print([_allowed(cache, '198.51.100.11') for _ in range(2)])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[True, True]"
    assert _allowed(cache, "198.51.100.11")
    assert not _allowed(cache, "198.51.100.11")
