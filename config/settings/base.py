"""Settings shared by every environment; values come from the environment.

``DATABASE_URL``, ``CELERY_BROKER_URL`` and ``EMAIL_URL`` fall back to embedded
defaults (a SQLite file, kombu's filesystem transport, the console) so that
``make run`` needs no server at all.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "portfolio.axes_app.LoginProtectionConfig",  # django-axes, named in Chinese
    # Bottom to top; docs/architecture.md gives the layers.
    "portfolio",
    "projects",
    "indicators",
    "projects.dossier",
    "projects.alerts",
    "projects.reporting",
    "projects.exchange",
    "projects.bootstrap",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL byte in the address or a parameter: 400 before any view or query.
    "portfolio.middleware.NulByteMiddleware",
    # A lost database connection in a view: 503 with Retry-After, not a 500.
    "portfolio.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The throttles' figures as RateLimit-* headers (portfolio.api.throttling).
    "portfolio.middleware.RateLimitHeadersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login attempts: after 5 failures for a username from one address, that pair is
# locked for an hour (django-axes).
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has several writers at once (the web server's threads,
    # the Celery worker, beat). WAL lets readers go on while one writes; IMMEDIATE
    # takes the write lock when a transaction begins, so a second writer waits for
    # it (up to ``timeout`` seconds) instead of failing at once with "database is
    # locked" when its read turns into a write; NORMAL is safe with WAL.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_TIMEOUT", default=20),
        }
    )
# A persistent connection (CONN_MAX_AGE, production) is tested before each request
# reuses it: after a database restart the first request reconnects by itself.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation." + name}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
# Django's admin strings that its own Chinese catalog lacks (the two-box selector,
# the login error's punctuation…): config/locale, see its .po files.
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
    },
}

# --- E-mail -----------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# The default's display name is translated, so it is lazy: django-environ would
# evaluate a lazy default at once (before the apps are ready), hence the "or".
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=None) or _(
    "项目调度系统 <noreply@bazhong.local>"
)
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        # Remote-control files (otherwise a ``control/`` folder in the cwd).
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
else:
    # Redis redelivers an unacknowledged task after the visibility timeout; it must
    # exceed the longest task so a slow digest run is not executed twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- Cache: shared by every process (the API's throttle buckets) --------------
# CACHE_URL (or REDIS_URL) when set; else the broker's Redis when the broker is
# Redis (its own key prefix: clearing it never touches the queues); else the
# database cache (make run runs createcachetable). See portfolio/cache.py.
from portfolio.cache import cache_settings  # noqa: E402

CACHES = cache_settings(
    cache_url=env("CACHE_URL", default="") or env("REDIS_URL", default=""),
    broker_url=CELERY_BROKER_URL,
)

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portfolio.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "portfolio.api.permissions.PortfolioPermission",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "portfolio.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["portfolio.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["portfolio.api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "portfolio.api.throttling.PerClientRateThrottle",
        "portfolio.api.throttling.PerClientWriteThrottle",
    ],
    "EXCEPTION_HANDLER": "portfolio.api.exceptions.api_exception_handler",
}
# Requests per caller (API client, user, or anonymous address).
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="1200/minute")
API_WRITE_THROTTLE_RATE = env("API_WRITE_THROTTLE_RATE", default="120/minute")
# The sync cursor handed out with each page (portfolio.sync.sync_token) is moved
# back by this many seconds: the clocks of the web and worker servers, which stamp
# updated_at, may differ from the database's by up to this much.
API_SYNC_MARGIN_SECONDS = env.int("API_SYNC_MARGIN_SECONDS", default=60)
SPECTACULAR_SETTINGS = {
    # ASCII title, tags and operation ids: client generators make package, module
    # and class names of them (docs/api.md). The Chinese is in the descriptions.
    "TITLE": "Bazhong Portfolio API",
    "VERSION": "1.0.0",
    # OpenAPI 3.1: "null" is a type, so a null nested object (a project's dossier,
    # an indicator's baseline) validates strictly (oneOf with {"type": "null"}).
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: offices may have no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The description (in Chinese) and the tags' descriptions are set by the hook
    # below, through gettext like every user-facing string; 400 and 503 are
    # documented on every operation by the same hook (portfolio/api/schema.py).
    # Several choice sets are called "kind": each keeps a name of its own.
    "ENUM_NAME_OVERRIDES": {"AdjustmentKindEnum": "projects.choices.AdjustmentKind"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portfolio.api.schema.postprocess",
    ],
}

# --- The plan's workflow ------------------------------------------------------
# A year's report is due on the plan's own day (portfolio.Plan.report_due_month
# and report_due_day, 20 December by default, editable in the admin). Reminders go
# out this many days before it.
PORTFOLIO_REMINDER_DAYS = env.list(
    "PORTFOLIO_REMINDER_DAYS", cast=int, default=[14, 7, 1]
)

# --- Indicators (indicators.selectors.value_due_date) ---------------------------
# An indicator's value for year Y is a statistic published the following spring, due
# on this day of Y + 1: "MM-DD", by default "03-31" (31 March). The code reads it as
# (month, day); a day past the month's end ("02-30") means the month's last day.
_report_due = env("INDICATOR_REPORT_DUE", default="03-31")
try:
    INDICATOR_REPORT_DUE = tuple(int(part) for part in _report_due.split("-"))
    _month, _day = INDICATOR_REPORT_DUE
    if not (1 <= _month <= 12 and 1 <= _day <= 31):
        raise ValueError(_report_due)
except ValueError as exc:
    raise ImproperlyConfigured(
        f"INDICATOR_REPORT_DUE must be MM-DD (e.g. 03-31), not {_report_due!r}"
    ) from exc

# --- Deadline and overdue notices (projects.rules, projects.alerts) -------------
# M: days a returned report may wait for resubmission (never before its due date);
# K: days a submitted report may wait for a supervisor; E: days an overdue notice
# may stay unresolved before it is escalated to the administrators.
PORTFOLIO_RETURNED_GRACE_DAYS = env.int("PORTFOLIO_RETURNED_GRACE_DAYS", default=7)
PORTFOLIO_REVIEW_DAYS = env.int("PORTFOLIO_REVIEW_DAYS", default=10)
PORTFOLIO_ESCALATION_DAYS = env.int("PORTFOLIO_ESCALATION_DAYS", default=14)
# Days after an indicator's due date (INDICATOR_REPORT_DUE) that its department's
# clerks have before a missing figure is told to the supervisors too.
INDICATOR_NOTICE_GRACE_DAYS = env.int("INDICATOR_NOTICE_GRACE_DAYS", default=30)
# Daily times (Asia/Shanghai, "HH:MM") of the scan and of the digests; the values
# seed the beat schedule once (``setup_schedules``), the admin edits it after.
PORTFOLIO_SCAN_TIME = env("PORTFOLIO_SCAN_TIME", default="07:00")
PORTFOLIO_DIGEST_TIME = env("PORTFOLIO_DIGEST_TIME", default="08:30")
# Items listed per kind in a digest; the rest are counted and linked.
PORTFOLIO_DIGEST_ITEMS_PER_KIND = env.int("PORTFOLIO_DIGEST_ITEMS_PER_KIND", default=20)
# Delivery retries when the SMTP server or a robot webhook is down (seconds).
PORTFOLIO_DELIVERY_BACKOFF = env.int("PORTFOLIO_DELIVERY_BACKOFF", default=60)
PORTFOLIO_DELIVERY_BACKOFF_MAX = env.int("PORTFOLIO_DELIVERY_BACKOFF_MAX", default=1800)
PORTFOLIO_DELIVERY_MAX_RETRIES = env.int("PORTFOLIO_DELIVERY_MAX_RETRIES", default=30)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Outbound webhooks (projects.alerts.webhooks, docs/api.md) --------------------
# A failing delivery is retried after BACKOFF seconds, doubling up to BACKOFF_MAX,
# and given up GIVE_UP_HOURS after it was made (a subscription may set its own).
PORTFOLIO_WEBHOOK_BACKOFF = env.int("PORTFOLIO_WEBHOOK_BACKOFF", default=30)
PORTFOLIO_WEBHOOK_BACKOFF_MAX = env.int("PORTFOLIO_WEBHOOK_BACKOFF_MAX", default=3600)
PORTFOLIO_WEBHOOK_GIVE_UP_HOURS = env.int("PORTFOLIO_WEBHOOK_GIVE_UP_HOURS", default=72)
PORTFOLIO_WEBHOOK_TIMEOUT = env.int("PORTFOLIO_WEBHOOK_TIMEOUT", default=10)
# How far back each collection run looks for audit entries and notices not yet
# turned into events: longer than any transaction that writes them can last.
PORTFOLIO_WEBHOOK_HORIZON_MINUTES = env.int(
    "PORTFOLIO_WEBHOOK_HORIZON_MINUTES", default=60
)
# Events (with their delivery log) are kept this many days once delivered.
PORTFOLIO_WEBHOOK_RETENTION_DAYS = env.int(
    "PORTFOLIO_WEBHOOK_RETENTION_DAYS", default=90
)
# Enqueue a dispatch after each commit that wrote a project or year-record change
# (the periodic task every minute catches anything else).
PORTFOLIO_WEBHOOKS_ON_COMMIT = env.bool("PORTFOLIO_WEBHOOKS_ON_COMMIT", default=True)

# --- OC4IDS export (projects.exchange.oc4ids, docs/oc4ids.md) -------------------
# Project ids are this prefix + the project's code. Register a prefix with the
# Open Contracting Partnership (oc4ids-xxxxxx-) before publishing.
OC4IDS_ID_PREFIX = env("OC4IDS_ID_PREFIX", default="oc4ids-xxxxxx-")
# The package's publisher (default: the plan's issuer) and licence URL (optional).
OC4IDS_PUBLISHER = env("OC4IDS_PUBLISHER", default="")
OC4IDS_LICENSE = env("OC4IDS_LICENSE", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- Project dossier (issue 9): files, in-year progress -----------------------
import datetime  # noqa: E402

# Uploaded files go through Django's storage API: local files under var/media by
# default; any other backend (e.g. django-storages' S3Storage) by setting
# FILE_STORAGE_BACKEND and its options in STORAGES["default"]["OPTIONS"].
# MEDIA_URL is never routed: files are served by a view that checks the scope.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES["default"]["BACKEND"] = env(
    "FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
)
PROJECTS_ATTACHMENT_MAX_BYTES = env.int(
    "PROJECTS_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024
)
# Pixels (width × height) an uploaded image may have, read from its header before
# any decoding: a small file that unpacks to gigabytes (a decompression bomb) is
# refused. 40 million is a 7 300 × 5 500 photo, more than any phone takes.
PORTFOLIO_IMAGE_MAX_PIXELS = env.int("PORTFOLIO_IMAGE_MAX_PIXELS", default=40_000_000)
# Day of the month after a period's end by which its progress update is due.
PROJECTS_PROGRESS_DUE_DAY = 5
# In-year dispatch starts on this date (YYYY-MM-DD): periods ending before it owe no
# progress update. Unset, nothing is owed yet: a fresh install is not flooded with
# every month since 2021 as overdue.
PROJECTS_PROGRESS_SINCE = (
    datetime.date.fromisoformat(env("PROJECTS_PROGRESS_SINCE"))
    if env("PROJECTS_PROGRESS_SINCE", default="")
    else None
)
# Indicator notices start with the figures due on or after this day (YYYY-MM-DD);
# unset, the indicator rules are silent (a fresh install would otherwise tell
# every figure missing since 2021 at once).
INDICATOR_NOTICES_SINCE = (
    datetime.date.fromisoformat(env("INDICATOR_NOTICES_SINCE"))
    if env("INDICATOR_NOTICES_SINCE", default="")
    else None
)
# A problem raised in an update is due this many days after it is raised.
PROJECTS_PROBLEM_DUE_DAYS = 30
