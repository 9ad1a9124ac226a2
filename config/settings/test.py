"""Settings for the test suite: PostgreSQL and Redis when the variables say so."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
# The test client's login() passes no request, which django-axes needs; the lockout
# has its own test with AXES_ENABLED switched on.
AXES_ENABLED = False

# Every test starts with empty throttle buckets (tests/callers.py clears the
# cache), also tests that may not touch the database: on the embedded default,
# whose cache is the database, the tests keep theirs in memory instead.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":  # noqa: F405
    CACHES = {  # noqa: F405
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }

# Under pytest-xdist (make test-quick) each worker keeps its own keys in a shared
# Redis: one worker's cache.clear() must not empty another's throttle buckets.
_XDIST_WORKER = env("PYTEST_XDIST_WORKER", default="")  # noqa: F405
if _XDIST_WORKER and "KEY_PREFIX" in CACHES["default"]:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] += f"-{_XDIST_WORKER}"  # noqa: F405
