"""Settings for the test suite: PostgreSQL and Redis when the variables say so."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
# The test client's login() passes no request, which django-axes needs; the lockout
# has its own test with AXES_ENABLED switched on.
AXES_ENABLED = False
