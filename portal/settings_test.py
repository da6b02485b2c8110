"""Test settings: the shipped settings, plus what a test run needs and production must not have.

pytest loads this module (pyproject.toml, `DJANGO_SETTINGS_MODULE`); `portal.settings` itself
never looks at how it is run. What changes here: a throwaway SECRET_KEY (unless one is set),
a fast password hasher, static files served straight from the finders, the test client's
hosts, and plain-HTTP cookies with no HTTPS redirect or HSTS (the test client speaks HTTP).
"""

import os

# Before the import: without DEBUG, the shipped settings refuse to start with no SECRET_KEY
# (or JWT_SIGNING_KEY).
os.environ.setdefault("SECRET_KEY", "test-only-keyportal-secret-key-never-used-in-production")
# The tests run the production settings: the `.env` that `make run` writes (DEBUG=1) must not
# turn development mode on under them (the process environment wins over `.env`).
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("JWT_SIGNING_KEY", "test-only-keyportal-jwt-key-never-used-in-production")

from portal.settings import *  # noqa: F403
from portal.settings import ALLOWED_HOSTS as _SHIPPED_ALLOWED_HOSTS
from portal.settings import STORAGES as _SHIPPED_STORAGES

# Password hashing is not under test here (portal/test_settings.py checks production's
# Argon2); MD5 keeps the many logins and user factories fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# No collectstatic before a test run: no manifest to look names up in.
STORAGES = {
    **_SHIPPED_STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The test client's host, and the loopback the live server and child processes listen on.
ALLOWED_HOSTS = [*_SHIPPED_ALLOWED_HOSTS, "testserver", "localhost", "127.0.0.1"]

# Django's own defaults: the shipped settings turn these on whenever DEBUG is off.
SECURE_PROXY_SSL_HEADER = None
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False

# Links in account emails point at the test client's plain-HTTP host. Staff reach the admin
# without two-factor unless a test turns `ADMIN_REQUIRE_TWO_FACTOR` on.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
ADMIN_REQUIRE_TWO_FACTOR = False

# SQLite: the test database is a file, not Django's shared in-memory database, so that
# servers in other threads (the ASGI live server the WebSocket browser tests use) lock and
# wait as production's SQLite does (WAL, busy timeout) instead of failing with "table is
# locked", which shared-cache in-memory databases answer to concurrent connections.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile as _tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(_tempfile.gettempdir(), f"keyportal-test-{os.getpid()}.sqlite3")
    }
