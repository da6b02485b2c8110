"""Bench-only settings: the shipped settings plus the peers, on a throwaway bench database.

The peers (`rest_framework.authtoken`, `rest_framework_api_key`) are installed here only, so
the product never grows their tables. The database and cache come from `BENCH_DATABASE_URL`
and `BENCH_REDIS_URL`, which `benchmarks.run` points at a bench database it creates and
drops, never at the development database.
"""

import os
import warnings

from portal.settings import *  # noqa: F403
from portal.settings import CACHES as _SHIPPED_CACHES
from portal.settings import DATABASES as _SHIPPED_DATABASES
from portal.settings import INSTALLED_APPS as _SHIPPED_APPS
from portal.settings import env

INSTALLED_APPS = [*_SHIPPED_APPS, "rest_framework.authtoken", "rest_framework_api_key"]
ROOT_URLCONF = "benchmarks.urls"

# The shipped connection policy (persistent connections, health checks) on the bench DB.
_shipped = _SHIPPED_DATABASES["default"]
DATABASES = {
    "default": {
        **env.db_url_config(os.environ["BENCH_DATABASE_URL"]),
        "CONN_MAX_AGE": _shipped["CONN_MAX_AGE"],
        # `BENCH_CONN_HEALTH_CHECKS=0` only for the extra run showing what the checks cost.
        "CONN_HEALTH_CHECKS": os.environ.get("BENCH_CONN_HEALTH_CHECKS", "1") == "1"
        and _shipped["CONN_HEALTH_CHECKS"],
    }
}
# The larger key count's database, beside the smaller one: see benchmarks/routing.py.
if os.environ.get("BENCH_LARGE_DATABASE_URL"):
    DATABASES["large"] = {
        **DATABASES["default"],
        **env.db_url_config(os.environ["BENCH_LARGE_DATABASE_URL"]),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": DATABASES["default"]["CONN_HEALTH_CHECKS"],
    }
    DATABASE_ROUTERS = ["benchmarks.routing.DatabaseRouter"]
    MIDDLEWARE = ["benchmarks.routing.DatabaseMiddleware", *MIDDLEWARE]  # noqa: F405
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database["OPTIONS"] = {"timeout": 20}

_redis_url = os.environ.get("BENCH_REDIS_URL", "")
if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": "keyportal-bench",
        }
    }
else:
    CACHES = _SHIPPED_CACHES  # the local-memory cache, as shipped without REDIS_URL

# Production mode (DEBUG off: no query log) over plain HTTP on the loopback.
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"handlers": [], "level": "WARNING"},
}

# WhiteNoise warns when STATIC_ROOT (collectstatic's output) is missing; the bench serves
# no static files.
warnings.filterwarnings("ignore", message="No directory at")
