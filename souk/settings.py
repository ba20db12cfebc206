"""Souk settings: 12-factor, every value from the environment with a safe default.

Durations and money rules are settings (docs/operations.md, Configuration): tune them per deployment,
never in code.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SOUK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("SOUK_DEBUG", False)
# A development machine (`make run`, the test suite, `make bench` set it): the public development
# SECRET_KEY below is allowed, and nothing else changes (docs/operations.md, Deploying).
DEV = env_bool("SOUK_DEV", False)

# --- Secret key: never the public one outside development ------------------------------------------
# Its "django-insecure-" prefix also makes `souk check --deploy` flag it (security.W009).
DEV_SECRET_KEY = "django-insecure-souk-development-key-public-in-the-repository-0123456789"
SECRET_KEY = os.environ.get("SOUK_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not (DEBUG or DEV):
        raise ImproperlyConfigured(
            "SOUK_SECRET_KEY is not set. Souk refuses to run with its public development key outside "
            "development: set SOUK_SECRET_KEY to a long random secret (e.g. `python -c \"import secrets; "
            "print(secrets.token_urlsafe(50))\"`), or SOUK_DEV=1 on a development machine "
            "(docs/operations.md, Deploying).")
    SECRET_KEY = DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("SOUK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("SOUK_CSRF_TRUSTED_ORIGINS", "")

# --- HTTPS (docs/operations.md, Deploying): one switch for everything a site served over TLS wants.
HTTPS = env_bool("SOUK_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SOUK_SSL_REDIRECT", True)
# The balancer probes the web processes directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SOUK_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and env_bool("SOUK_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SOUK_HSTS_PRELOAD", True)
if env_bool("SOUK_TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that terminates TLS and sets (overwrites) X-Forwarded-Proto itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_countries",
    "django_tasks",
    "django_tasks_db",
    "souk.core",
    "souk.accounts",
    "souk.catalog",
    "souk.orders",
    "souk.cancellations",
    "souk.disputes",
    "souk.ledger",
    "souk.payments",
    "souk.messaging",
    "souk.notifications",
    "souk.reputation",
    "souk.compliance",
    "souk.fulfilment",
    "souk.checkout",
    "souk.web",
]

MIDDLEWARE = [
    "souk.core.requestid.RequestIdMiddleware",
    "souk.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "souk.core.middleware.ApiBodyLimitsMiddleware",
    "souk.core.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "souk.urls"
WSGI_APPLICATION = "souk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -----------------------------------------------------------------
# SQLite (WAL, BEGIN IMMEDIATE, a 20 s busy timeout) is the embedded default;
# DATABASE_URL points at PostgreSQL for real deployments and for the concurrency
# tests. A `sqlite:///…` DATABASE_URL gets the same SQLite options as the
# default: without them a second writer (the worker) fails "database is locked"
# at once instead of waiting its turn (docs/operations.md, Configuration).
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Production shape (docs/operations.md, PostgreSQL in production): persistent connections checked
# before reuse; behind PgBouncer in transaction mode set SOUK_PGBOUNCER=1 (no server-side cursors,
# which would outlive the transaction on another server connection; Django already turns psycopg's
# prepared statements off).
CONN_MAX_AGE = env_int("SOUK_CONN_MAX_AGE", 60)
CONN_HEALTH_CHECKS = env_bool("SOUK_CONN_HEALTH_CHECKS", True)
PGBOUNCER = env_bool("SOUK_PGBOUNCER", False)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE,
                                                  conn_health_checks=CONN_HEALTH_CHECKS,
                                                  disable_server_side_cursors=PGBOUNCER)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SOUK_SQLITE_PATH", str(VAR_DIR / "souk.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Options written in the URL's query string win over the defaults.
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
if os.environ.get("SOUK_TEST_DB_NAME"):
    # Lets several test runs share one PostgreSQL server without clashing.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["SOUK_TEST_DB_NAME"]
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if os.environ.get("SOUK_DB_CONNECT_TIMEOUT") and IS_POSTGRES:
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("SOUK_DB_CONNECT_TIMEOUT", 5)
# A read replica for the few selectors marked as tolerating lag (souk/core/replica.py): never money,
# never timers, never a read that decides a write. Without it everything reads the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=CONN_MAX_AGE,
                                                 conn_health_checks=CONN_HEALTH_CHECKS,
                                                 disable_server_side_cursors=PGBOUNCER)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["souk.core.replica.ReplicaRouter"]

# --- Cache ----------------------------------------------------------------------------
# Holds the login, password-reset and registration counters (souk/accounts/throttle.py), so
# it must be one store every web process shares (docs/operations.md, The cache): Redis
# when REDIS_URL is set, else the database cache, whose table `souk migrate` creates
# (souk/accounts/apps.py). MAX_ENTRIES is high so that filling the table cannot evict
# live counters before they expire.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": os.environ.get("SOUK_CACHE_KEY_PREFIX", "souk")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "souk_cache",
                          "OPTIONS": {"MAX_ENTRIES": env_int("SOUK_CACHE_MAX_ENTRIES", 100_000)}}}

# Sessions: in the database (default); SOUK_SESSION_STORE=cache keeps them in the cache only (Redis:
# fast, but lost when Redis is flushed), cached_db reads them from the cache and writes through.
SESSION_ENGINE = {"db": "django.contrib.sessions.backends.db",
                  "cache": "django.contrib.sessions.backends.cache",
                  "cached_db": "django.contrib.sessions.backends.cached_db"}[os.environ.get("SOUK_SESSION_STORE", "db")]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_bool("SOUK_FAST_PASSWORD_HASHER", False):
    # Tests and benchmarks only: hashing is deliberately slow otherwise.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("SOUK_STATIC_ROOT", VAR_DIR / "staticfiles"))
# Uploaded files (dispute evidence) go through `default_storage`: local files here by default.
MEDIA_ROOT = Path(os.environ.get("SOUK_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("SOUK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("SOUK_FROM_EMAIL", "Souk <no-reply@souk.example>")
SOUK_BASE_URL = os.environ.get("SOUK_BASE_URL", "http://127.0.0.1:8000")

# --- Background work -------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("SOUK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Marketplace rules (docs/operations.md, Configuration); durations in hours or days
SOUK = {
    "PAYMENT_WINDOW_HOURS": env_int("SOUK_PAYMENT_WINDOW_HOURS", 24),
    "DEFAULT_HANDLING_DAYS": env_int("SOUK_DEFAULT_HANDLING_DAYS", 7),
    "DEFAULT_PROTECTION_DAYS": env_int("SOUK_DEFAULT_PROTECTION_DAYS", 60),
    "CHECKOUT_MAX_LINES": env_int("SOUK_CHECKOUT_MAX_LINES", 50),
    "LINE_MAX_QUANTITY": env_int("SOUK_LINE_MAX_QUANTITY", 999),
    "ORDERS_PAGE_SIZE": env_int("SOUK_ORDERS_PAGE_SIZE", 20),
}

# Logs: one JSON object per line (SOUK_LOG_FORMAT=json, the default) with the request id of the web
# request, or of the request that enqueued the task (souk/core/requestid.py); `text` for a terminal.
LOG_FORMAT = os.environ.get("SOUK_LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "souk.core.requestid.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": "json" if LOG_FORMAT == "json" else "text"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SOUK_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Operations (docs/operations.md, Many machines) ------------------------------------------------
# /metrics: open when SOUK_METRICS_TOKEN is empty (serve it on a private network only), else it needs
# `Authorization: Bearer <token>`. Business figures are read from the database at scrape time and
# shared through the cache for SOUK_METRICS_CACHE_SECONDS, so N nodes scraped cost one set of counts.
METRICS_TOKEN = os.environ.get("SOUK_METRICS_TOKEN", "")
METRICS_CACHE_SECONDS = env_int("SOUK_METRICS_CACHE_SECONDS", 15)
