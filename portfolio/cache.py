"""The cache every process shares: the API's throttle buckets live here.

Django's default cache is local memory, one per process: with two gunicorn
workers (or the web server and another process) each kept its own buckets, and
a client got twice the configured writes through. ``cache_settings`` chooses a
cache that all processes of a deployment share (``config/settings/base.py``):

1. ``CACHE_URL`` when set (django-environ's form: ``redis://host:6379/1``,
   ``dbcache://table``, ``locmemcache://``…), else ``REDIS_URL``;
2. else, when the Celery broker is Redis, the same Redis server and database
   as the broker: the cache's keys carry their own prefix, and ``clear()``
   deletes only those (``SharedRedisCache``), never the broker's queues;
3. else (the embedded default of ``make run``: SQLite, the filesystem broker)
   the database cache, in the table ``portfolio_cache`` (``make run`` runs
   ``createcachetable``; the test database gets it by itself).

A cache that cannot be reached does not take the API down with it: the Redis
cache here logs the failure and answers as an empty cache (throttling is then
off until Redis is back) rather than turning every request into a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import environ
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

KEY_PREFIX = "bazhong"
DATABASE_TABLE = "portfolio_cache"
REDIS_SCHEMES = ("redis://", "rediss://")
# Seconds to wait for Redis before a request goes on without its cache.
REDIS_TIMEOUT = 1


def cache_settings(*, cache_url: str, broker_url: str) -> dict[str, dict[str, Any]]:
    """``CACHES`` for the given ``CACHE_URL`` (or ``REDIS_URL``) and broker."""
    url = cache_url or (broker_url if broker_url.startswith(REDIS_SCHEMES) else "")
    if url.startswith(REDIS_SCHEMES):
        default = {
            "BACKEND": "portfolio.cache.SharedRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": KEY_PREFIX,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
            },
        }
    elif url:
        default = environ.Env.cache_url_config(url)
    else:
        default = {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": DATABASE_TABLE,
        }
    return {"default": default}


def _unreachable(operation: str, exc: Exception) -> None:
    logger.warning("cache unreachable (%s): %s", operation, exc)


class SharedRedisCache(RedisCache):
    """Django's Redis cache, for a Redis database that others use too.

    ``clear()`` deletes this cache's keys (its ``KEY_PREFIX``) only, not the
    whole database (Django's ``FLUSHDB``): the Celery broker's queues may live
    in the same database. An unreachable server reads as an empty cache.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        if not self.key_prefix:
            self.key_prefix = KEY_PREFIX

    def _guarded(self, operation: str, default: Any, call, *args, **kwargs):
        from redis.exceptions import ConnectionError, TimeoutError

        try:
            return call(*args, **kwargs)
        except (ConnectionError, TimeoutError) as exc:
            _unreachable(operation, exc)
            return default

    def get(self, key, default=None, version=None):
        return self._guarded("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._guarded("get_many", {}, super().get_many, keys, version)

    def set(self, key, value, timeout=None, version=None):
        self._guarded("set", None, super().set, key, value, timeout, version)

    def add(self, key, value, timeout=None, version=None):
        return self._guarded("add", False, super().add, key, value, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._guarded("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded("delete", False, super().delete, key, version)

    def has_key(self, key, version=None):
        return self._guarded("has_key", False, super().has_key, key, version)

    def clear(self) -> None:
        """Delete this cache's keys, every version; nothing else in the database."""

        def delete_prefixed():
            client = self._cache.get_client(None, write=True)
            batch = []
            for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
                batch.append(key)
                if len(batch) == 500:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)

        self._guarded("clear", None, delete_prefixed)
