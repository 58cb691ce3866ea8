"""Settings for syncplatform. Every value comes from the environment; see the README's table.

Two shapes share this file: the embedded default (SQLite in WAL mode and the
filesystem kombu transport, nothing to install) and production (PostgreSQL and
RabbitMQ via ``DATABASE_URL`` and ``CELERY_BROKER_URL``).
"""

import base64
import hashlib
import ipaddress
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from syncplatform.core import database_roles
from syncplatform.core.env import env_bool, env_int, env_list, env_str
from syncplatform.core.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
# The same folder `make run` uses, so `manage.py import_mappings` (and any other
# command) run by hand reach the embedded default's database.
VAR_DIR = Path(env_str("SYNC_VAR_DIR") or BASE_DIR / "var" / "embedded").resolve()

SYNC_ENV = env_str("SYNC_ENV", "development")
IS_PRODUCTION = SYNC_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if IS_PRODUCTION:
    # Blank values count as missing: " " or "," would otherwise pass and fail later.
    if not (SECRET_KEY or "").strip():
        raise ImproperlyConfigured("SYNC_ENV=production needs DJANGO_SECRET_KEY")
    if DEBUG:
        raise ImproperlyConfigured("SYNC_ENV=production refuses DJANGO_DEBUG=1")
    if not env_list("SYNC_ENCRYPTION_KEYS", []):
        raise ImproperlyConfigured("SYNC_ENV=production needs SYNC_ENCRYPTION_KEYS")
SECRET_KEY = SECRET_KEY or "development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "syncplatform.core",
    "syncplatform.partners",
    "syncplatform.mappings",
    "syncplatform.audit",
    "syncplatform.orders",
    "syncplatform.fulfillment",
    "syncplatform.erpdocs",
    "syncplatform.catalog",
    "syncplatform.availability",
    "syncplatform.settlements",
    "syncplatform.finance",
    "syncplatform.console",
    "syncplatform.demo",
]

MIDDLEWARE = [
    "syncplatform.core.middleware.CorrelationIdMiddleware",
    # Reads a chunked body (or answers 411) before anything reads request.body.
    "syncplatform.core.middleware.ChunkedBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "syncplatform.urls"
WSGI_APPLICATION = "syncplatform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# --- Database -------------------------------------------------------------
# Two roles on PostgreSQL (README, "Database roles"; syncplatform/core/database_roles.py).
# DATABASE_URL is the runtime role the web, workers and beat connect as: it reads and
# writes rows and owns nothing. SYNC_MIGRATE_DATABASE_URL, when set, is the owner of the
# same database; only `manage.py migrate`, `manage.py grant_runtime_privileges` and the
# test suite (which creates, migrates and empties its own database) connect with it.
# Unset, or beside SQLite, one role does everything.
_DATABASE_OPTIONS = {
    "conn_max_age": env_int("SYNC_DB_CONN_MAX_AGE", 60),
    "conn_health_checks": True,
}
_runtime_database = dj_database_url.parse(
    env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}", **_DATABASE_OPTIONS
)
IS_SQLITE = _runtime_database["ENGINE"] == "django.db.backends.sqlite3"
_migrate_url = "" if IS_SQLITE else (env_str("SYNC_MIGRATE_DATABASE_URL") or "").strip()
_owner_database = dj_database_url.parse(_migrate_url, **_DATABASE_OPTIONS) if _migrate_url else None
_IS_TEST_SUITE = "pytest_django" in sys.modules
DATABASES = {
    "default": database_roles.pick_database(
        _runtime_database,
        _owner_database,
        changes_schema=_IS_TEST_SUITE or database_roles.is_schema_command(sys.argv),
    )
}
# The hot path's fixed statements (core/prepared.py) are PREPAREd once per PostgreSQL
# session and then EXECUTEd, so PostgreSQL parses and plans each once, not per posting.
# Turn off (0) behind a pooler that hands one session's statements to another, such as
# pgbouncer in transaction pooling mode, where a session's prepared names are not its own.
SYNC_DB_SERVER_PREPARED = env_bool("SYNC_DB_SERVER_PREPARED", default=True)
# The role the migrations leave with row privileges only (empty: grant and revoke nothing).
SYNC_DB_RUNTIME_ROLE = env_str("SYNC_DB_RUNTIME_ROLE")
if SYNC_DB_RUNTIME_ROLE is None:
    SYNC_DB_RUNTIME_ROLE = database_roles.default_runtime_role(_runtime_database, _owner_database)
SYNC_DB_RUNTIME_ROLE = SYNC_DB_RUNTIME_ROLE.strip()
if IS_SQLITE:
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web, workers and beat read while one of them writes; IMMEDIATE
    # takes the write lock at BEGIN so a claim never fails half-way with "locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
elif _IS_TEST_SUITE:
    # The suite empties every table after each test that commits (TRUNCATE): the events
    # table's TRUNCATE trigger lets a session through that asks (audit migration 0004).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c syncplatform.audit_truncate=allow"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Times with seconds in the admin (syncplatform/console/formats/en/formats.py).
FORMAT_MODULE_PATH = ["syncplatform.console.formats"]
TIME_ZONE = env_str("SYNC_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- TLS in front, admin logins ---------------------------------------------
# Production runs gunicorn behind a proxy that ends TLS and says so in
# X-Forwarded-Proto (which it must set itself, overwriting the client's).
SYNC_BEHIND_TLS_PROXY = env_bool("SYNC_BEHIND_TLS_PROXY", default=IS_PRODUCTION)
if SYNC_BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Load balancers probe and Prometheus scrapes each process over plain HTTP: health and
    # /metrics (token or network protected) answer there, everything else redirects.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SYNC_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SYNC_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SYNC_HSTS_PRELOAD", default=True)

# Admin logins (django-axes): after SYNC_LOGIN_FAILURE_LIMIT failures for one user
# name, or from one address, that user or address waits SYNC_LOGIN_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("SYNC_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SYNC_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "syncplatform.core.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Request limits ---------------------------------------------------------
# Django refuses bodies above this with RequestDataTooBig; the API answers 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SYNC_MAX_REQUEST_BYTES", 1024 * 1024)
SYNC_MAX_ORDER_LINES = env_int("SYNC_MAX_ORDER_LINES", 500)
# Deepest nesting of arrays and objects in a JSON body (400 above): an order is 3
# levels, a Shopify webhook about 6; Python's parser recurses, so it must be bounded.
SYNC_MAX_JSON_DEPTH = env_int("SYNC_MAX_JSON_DEPTH", 32)


# --- Secrets at rest --------------------------------------------------------
def _development_encryption_key() -> str:
    digest = hashlib.sha256(f"syncplatform-encryption:{SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


# The first key encrypts; every key decrypts (rotation: prepend a new key).
SYNC_ENCRYPTION_KEYS = env_list("SYNC_ENCRYPTION_KEYS", [_development_encryption_key()])

# --- Transactions: leases, sweeper -----------------------------------------
SYNC_LEASE_SECONDS = env_int("SYNC_LEASE_SECONDS", 120)
SYNC_PUBLISH_GRACE_SECONDS = env_int("SYNC_PUBLISH_GRACE_SECONDS", 30)
SYNC_SWEEP_BATCH = env_int("SYNC_SWEEP_BATCH", 500)

# --- Fulfilment (3PL) ---------------------------------------------------------
SYNC_940_BATCH_SIZE = env_int("SYNC_940_BATCH_SIZE", 10000)

# --- REST framework ---------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Depth and repeated keys are refused before json.loads runs (core/json_bodies.py).
    "DEFAULT_PARSER_CLASSES": ["syncplatform.core.json_bodies.JsonBodyParser"],
    "EXCEPTION_HANDLER": "syncplatform.core.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "syncplatform API",
    "DESCRIPTION": "Order intake for sales channels. Errors are RFC 9457 problem JSON.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # One name per choice set where two fields share the name "status".
    "ENUM_NAME_OVERRIDES": {"OrderStatusEnum": "syncplatform.orders.choices.OrderStatus"},
    # Swagger UI from our own static files: the docs page works with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
IS_FILESYSTEM_BROKER = CELERY_BROKER_URL.startswith("filesystem://")
if IS_FILESYSTEM_BROKER:
    _broker_dir = Path(env_str("SYNC_BROKER_DIR") or VAR_DIR / "broker").resolve()
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The filesystem transport polls; 0.2 s keeps the demo snappy at negligible cost.
        "polling_interval": 0.2,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# After a broker reconnect Celery lowers the prefetch count while tasks of the old
# connection run, and raises it again from the thread whose ack failed. On the thread
# pool (the realtime lane) that thread then waited for basic.qos-ok on the connection
# the main thread was reading, and both waited for ever: the worker stopped consuming
# after a RabbitMQ restart (make chaos, 2026-12-07). Without the reduction the prefetch
# count is the full one at once; the few extra messages wait in the pool's queue.
CELERY_WORKER_ENABLE_PREFETCH_COUNT_REDUCTION = False
CELERY_TASK_DEFAULT_QUEUE = "batch"
CELERY_TASK_DEFAULT_EXCHANGE = "batch"
CELERY_TASK_DEFAULT_ROUTING_KEY = "batch"
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name, type="direct"), routing_key=name) for name in ("realtime", "batch")
)
# No routes: each message names its queue, the lane its kind or schedule declares
# (syncplatform/audit/registry.py).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes the database connection around every task unless
# this is set; a new PostgreSQL session per order cost more than the SOAP call.
# Connections are recycled after this many tasks; broken ones are caught by
# CONN_HEALTH_CHECKS.
CELERY_DB_REUSE_MAX = env_int("SYNC_WORKER_DB_REUSE_MAX", 1000)

# --- Logging ----------------------------------------------------------------
# SYNC_LOG_FORMAT=json: one JSON object per line; worker lines about a transaction carry
# tx_kind, tx_id, business_key, correlation_id and outcome (syncplatform/core/logging.py).
LOGGING = logging_config(env_str("SYNC_LOG_FORMAT", "plain"), env_str("SYNC_LOG_LEVEL", "INFO"))

# --- Metrics, alert digests and email (issue 14; README "Operating it") -------
# /metrics answers a bearer SYNC_METRICS_TOKEN, or a client inside one of these
# networks (default: loopback outside production, none in production).
SYNC_METRICS_TOKEN = env_str("SYNC_METRICS_TOKEN", "") or ""
SYNC_METRICS_ALLOWED_NETWORKS = env_list(
    "SYNC_METRICS_ALLOWED_NETWORKS", [] if IS_PRODUCTION else ["127.0.0.0/8", "::1/128"]
)
for _network in SYNC_METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"SYNC_METRICS_ALLOWED_NETWORKS: {_network!r} is not a network (e.g. 10.0.0.0/8)"
        ) from None
SYNC_METRICS_WINDOW_MINUTES = env_int("SYNC_METRICS_WINDOW_MINUTES", 15)
# The alert digest: new failures mailed to the operations group every N minutes, with
# links under SYNC_PUBLIC_URL (the address operators open the admin at).
SYNC_ALERT_DIGEST_MINUTES = env_int("SYNC_ALERT_DIGEST_MINUTES", 15)
SYNC_PUBLIC_URL = (env_str("SYNC_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
# SMTP when SYNC_EMAIL_HOST is set; otherwise each email is a file in $SYNC_VAR_DIR/mail/.
EMAIL_HOST = env_str("SYNC_EMAIL_HOST", "") or ""
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("SYNC_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("SYNC_EMAIL_USER", "") or ""
    EMAIL_HOST_PASSWORD = env_str("SYNC_EMAIL_PASSWORD", "") or ""
    EMAIL_USE_TLS = env_bool("SYNC_EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env_bool("SYNC_EMAIL_USE_SSL", default=False)
    EMAIL_TIMEOUT = env_int("SYNC_EMAIL_TIMEOUT_SECONDS", 30)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("SYNC_EMAIL_FROM", "") or "syncplatform@localhost"
