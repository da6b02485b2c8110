"""Bench-only settings: the shipped settings plus the peers, on throwaway bench databases.

`benchmarks.run` points the shipped settings' `DATABASE_URL`, `REDIS_URL` and
`CACHE_KEY_PREFIX` at a bench database it creates and drops and at the run's own cache keys
(never the development database), so the bench measures the shipped connection and cache
configuration. The peers (`rest_framework.authtoken`, `rest_framework_api_key`) are
installed here only, so the product never grows their tables.
"""

import copy
import os
import warnings

from portal.settings import *  # noqa: F403
from portal.settings import DATABASES, INSTALLED_APPS, MIDDLEWARE, env

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken", "rest_framework_api_key"]
ROOT_URLCONF = "benchmarks.views"

# Not the shipped setting: only for the run that shows what the health checks cost.
if os.environ.get("BENCH_CONN_HEALTH_CHECKS") == "0":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
# The larger key count's database, configured as the default one: see benchmarks/views.py.
if os.environ.get("BENCH_LARGE_DATABASE_URL"):
    DATABASES["large"] = copy.deepcopy(DATABASES["default"])
    DATABASES["large"]["NAME"] = env.db_url_config(os.environ["BENCH_LARGE_DATABASE_URL"])["NAME"]
    DATABASE_ROUTERS = ["benchmarks.views.DatabaseRouting"]
    MIDDLEWARE = ["benchmarks.views.DatabaseRouting", *MIDDLEWARE]

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
