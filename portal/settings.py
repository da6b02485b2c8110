"""Keyportal settings: every value comes from the environment (and an optional `.env`).

The embedded default is SQLite with the local-memory cache, so `make run` works on a
fresh clone; PostgreSQL and Redis come in through `DATABASE_URL` and `REDIS_URL`.
"""

import hashlib
import hmac
import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A development key exists only when DEBUG is on; in production a missing SECRET_KEY must
# stop the process at start-up rather than silently sign sessions with a public value.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or .env), or set DEBUG=1 for "
            "local development."
        )
    SECRET_KEY = "django-insecure-keyportal-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First: its `runserver` serves the ASGI app, so `make run` answers HTTP and WebSockets
    # on one port.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "channels",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework_simplejwt.token_blacklist",
    "core",
    "organizations",
    "apikeys",
    "accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apikeys.middleware.RequestIDMiddleware",
    "apikeys.middleware.CredentialedResponsesMiddleware",
    "core.middleware.RequireContentLengthMiddleware",
    "core.middleware.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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

# Persistent connections: opening a PostgreSQL connection costs more than the key lookup
# itself, and health checks keep a stale connection from failing a request.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite, the embedded default, with concurrent writers: a transaction that starts as a
    # reader and then writes cannot wait for the write lock (SQLite answers "database is
    # locked" at once), so every transaction takes it up front (IMMEDIATE) and waits up to
    # `timeout` seconds for it; WAL lets readers go on while one writer writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
# PostgreSQL: bind parameters on the server and let psycopg prepare a statement once a
# connection has run it 5 times, which every authenticated request's key lookup soon has
# (parsing and planning that statement cost the server more than running it). Measured in
# docs/performance.md. Off behind a transaction-mode pooler that drops prepared statements
# (PgBouncer before 1.21): `DATABASE_PREPARED_STATEMENTS=0`.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("server_side_binding", True)
    _options.setdefault("prepare_threshold", 5 if DATABASE_PREPARED_STATEMENTS else None)
    # A web request must not wait out a blocking migration's table lock, nor run a runaway
    # query: it fails (503, retry) instead of holding a worker until gunicorn kills it.
    # Set by portal/wsgi.py and asgi.py only, so migrations and commands run unbounded.
    if os.environ.get("KEYPORTAL_WEB_PROCESS"):
        _options.setdefault(
            "options",
            f"-c statement_timeout={env.int('DATABASE_STATEMENT_TIMEOUT_MS', default=10000)} "
            f"-c lock_timeout={env.int('DATABASE_LOCK_TIMEOUT_MS', default=5000)}",
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="keyportal"),
            # A stalled or unreachable Redis must cost a request a quarter of a second,
            # not redis-py's default of waiting forever (what happens then: below).
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.25),
                "socket_timeout": env.float("REDIS_TIMEOUT", default=0.25),
            },
        }
    }
else:
    # Django's local-memory cache: per process, so rate limits count per worker.
    # Room for the counters of a few thousand active keys (usage keeps a key's hour counters
    # three hours); Django's default of 300 entries would cull live counters.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": env.int("LOCMEM_CACHE_MAX_ENTRIES", default=20_000)},
        }
    }

AUTH_USER_MODEL = "organizations.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "integrations"
LOGOUT_REDIRECT_URL = "login"

# People's accounts (django-allauth, with `accounts` adapting it) ----------------------
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "signup": "accounts.forms.SignupForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# No one signs in, so no one creates or manages keys, before proving they own the address.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# The address is the account's sign-in: one per account, changed by no one but staff.
ACCOUNT_MAX_EMAIL_ADDRESSES = 1
# Sign-up with a known address mails its owner instead of saying it is taken.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = True
# Mail the account's owner when its password or two-factor changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Keyportal: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# One sign-in throttle for every password check (organizations.views.login): allauth's own
# per-view and failed-password limits would be a second, differently counted one. Its
# limit on wrong two-factor codes ("login_failed", keyed per user) stays.
ACCOUNT_RATE_LIMITS = {"login": None}
# Open sign-up: by default under `make run` (DEBUG), closed in production, where only a
# visitor holding an open invitation may create an account.
ACCOUNT_SIGNUP_OPEN = env.bool("ACCOUNT_SIGNUP_OPEN", default=DEBUG)
# Password reset links work for an hour, and once (a new password invalidates them).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Keyportal"
# Staff open the admin only with an authenticator app set up (off under DEBUG).
ADMIN_REQUIRE_TWO_FACTOR = env.bool("ADMIN_REQUIRE_TWO_FACTOR", default=not DEBUG)

# Email: `EMAIL_URL` names the backend (smtp+tls://user:password@host:587, consolemail://).
# Under DEBUG, mail is printed on the console; in production it goes to an SMTP server
# (a local relay on port 25 unless set).
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://127.0.0.1:25")
# EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS…;
# the parts the URL leaves out keep Django's defaults.
vars().update({name: value for name, value in _email.items() if value is not None})
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Keyportal <keyportal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Login throttling: attempts per window, counted per client IP and per email address.
# The proxies (addresses or networks) whose X-Forwarded-For is believed: behind the TLS
# proxy, the client's address for audit events and sign-in limits (core/clients.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Sign-in attempts per window: per email at one client address, and per client address.
LOGIN_RATE_LIMIT = env.int("LOGIN_RATE_LIMIT", default=10)
LOGIN_RATE_LIMIT_PER_IP = env.int("LOGIN_RATE_LIMIT_PER_IP", default=50)
LOGIN_RATE_WINDOW_SECONDS = env.int("LOGIN_RATE_WINDOW_SECONDS", default=300)

# The site's own address, for links in emails (invitations): taken from the configuration
# rather than a request's Host header, so no request can make Keyportal mail a link to
# another site. Unset in production, pages fall back to the (ALLOWED_HOSTS-checked) host.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
# How long an invitation link works.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)

# Server-side sessions: the show-once page reads a new key out of the session, so the
# session must never live in a (signed but readable) cookie. Messages likewise.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the finders when collectstatic has not run (tests, `make run`).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_MANIFEST_STRICT = False

# Security headers. Behind a TLS-terminating proxy, the proxy sets X-Forwarded-Proto.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

REST_FRAMEWORK = {
    # An access token (accounts.jwt) first: it claims only JWT-shaped Bearer values, and
    # APIKeyAuthentication refuses those with a message saying it wants a key.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.jwt.AccessTokenAuthentication",
        "apikeys.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "apikeys.throttling.APIKeyRateThrottle",
        "apikeys.throttling.UserRateThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.negotiation.JSONContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Keyportal API",
    "DESCRIPTION": "Issue and govern organization API keys.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "organizations.models.Role",
        "KeyStatusEnum": "apikeys.models.EffectiveStatus",
        "ModeEnum": "apikeys.models.Mode",
    },
}

# Error reports mask every key-shaped value (apikeys/error_reports.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "apikeys.error_reports.KeyRedactingFilter"

# Content-Security-Policy (django-csp): the pages load scripts, styles and images from this
# site only, and run no inline script, so an injected <script> would not run. The admin and
# the Swagger UI ship their own inline code, so they go without.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/api/docs/"],
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    },
}

# Token login for API clients (accounts.jwt) -----------------------------------------
# Access tokens are signed with a key of their own, so SECRET_KEY never signs a bearer
# credential and either can be rotated alone. Required in production; under DEBUG it is
# derived from SECRET_KEY (the test settings set a throwaway one).
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
if not JWT_SIGNING_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "JWT_SIGNING_KEY is not set. Set it to its own long random value in the "
            "environment (or .env), or set DEBUG=1 for local development."
        )
    JWT_SIGNING_KEY = hmac.new(
        SECRET_KEY.encode(), b"keyportal.jwt-signing-key", hashlib.sha256
    ).hexdigest()
if len(JWT_SIGNING_KEY) < 32:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must be at least 32 characters long.")
SIMPLE_JWT = {
    # Short-lived: an access token cannot be revoked before it expires (a refresh token can).
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    # Every refresh returns a new refresh token and ends the one it used.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}

# API keys ---------------------------------------------------------------------------
APIKEYS_BRAND = env.str("APIKEYS_BRAND", default="kp")
# HMAC pepper for stored key digests; derived from SECRET_KEY when unset (apikeys.keys).
APIKEYS_PEPPER = env.str("APIKEYS_PEPPER", default="")
APIKEYS_HEADERS = env.list("APIKEYS_HEADERS", default=["Authorization", "X-API-Key", "Api-Key"])
APIKEYS_LAST_USED_INTERVAL = env.int("APIKEYS_LAST_USED_INTERVAL", default=60)
APIKEYS_RATE_PER_MINUTE = env.int("APIKEYS_RATE_PER_MINUTE", default=100)
APIKEYS_RATE_PER_HOUR = env.int("APIKEYS_RATE_PER_HOUR", default=1000)
APIKEYS_USER_RATE_PER_MINUTE = env.int("APIKEYS_USER_RATE_PER_MINUTE", default=300)
APIKEYS_USER_RATE_PER_HOUR = env.int("APIKEYS_USER_RATE_PER_HOUR", default=5000)
# A genuine key refused because it came in a URL is marked exposed and its owners told;
# set this to also revoke it at once (URLs end up in logs others read).
APIKEYS_REVOKE_KEYS_SENT_IN_URLS = env.bool("APIKEYS_REVOKE_KEYS_SENT_IN_URLS", default=False)
# The keys list flags a usable key idle this many days (never used: since its creation).
APIKEYS_UNUSED_DAYS = env.int("APIKEYS_UNUSED_DAYS", default=30)
# Usage per key is kept by the hour this many days, then rolled up by the day (apikeys.usage).
APIKEYS_USAGE_HOURS_KEPT_DAYS = env.int("APIKEYS_USAGE_HOURS_KEPT_DAYS", default=90)
# Requests with well-formed keys that match no issued key, per client IP and minute, before
# that address is refused (429) for the rest of the minute; 0 turns the limit off.
# WebSockets (apikeys.channels): tickets live 30 s; an open socket's credential is checked
# again every few seconds (a revoked key's socket closes within that); a raw key in a
# socket's URL is refused unless turned on here (URLs end up in proxy logs).
ASGI_APPLICATION = "portal.asgi.application"
APIKEYS_WS_TICKET_SECONDS = env.int("APIKEYS_WS_TICKET_SECONDS", default=30)
APIKEYS_WS_RECHECK_SECONDS = env.float("APIKEYS_WS_RECHECK_SECONDS", default=5.0)
APIKEYS_WS_ALLOW_KEY_IN_URL = env.bool("APIKEYS_WS_ALLOW_KEY_IN_URL", default=False)
# How a socket's `?token=` access token is checked (a DRF authentication class).
APIKEYS_WS_ACCESS_TOKEN_AUTHENTICATION = "accounts.jwt.AccessTokenAuthentication"  # noqa: S105
if REDIS_URL:
    # Every process hears every other's audit events. An unreachable Redis costs a quarter
    # second to connect; no read timeout, since a socket's consumer waits on a blocking pop.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 0.25}],
                "prefix": env.str("CACHE_KEY_PREFIX", default="keyportal") + ":channels:",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

APIKEYS_UNKNOWN_KEYS_PER_IP_PER_MINUTE = env.int(
    "APIKEYS_UNKNOWN_KEYS_PER_IP_PER_MINUTE", default=30
)
APIKEYS_MAX_GRACE_SECONDS = 86400
# The scope registry: what each scope lets a key do, and the lowest role that may hold it.
# A key's effective scopes are those its creator's current role still allows
# (organizations.permissions.effective_scopes): a demoted admin's key loses the admin ones.
APIKEYS_SCOPES = {
    "api_keys:manage": {
        "role": "admin",
        "description": "Create, rotate, pause, resume, rename and revoke this organization's "
        "API keys, never a key broader than itself.",
    },
    "members:manage": {
        "role": "admin",
        "description": "Add members and change or remove admins and members. Never the owner "
        "role: only a signed-in owner grants, changes or removes it.",
    },
    "audit:read": {
        "role": "admin",
        "description": "Read the organization's audit log (who did what, from which IP).",
    },
    "organization:read": {
        "role": "member",
        "description": "Read the organization and its members.",
    },
    "records:read": {
        "role": "member",
        "description": "Read clinical records, transcripts and conversations.",
    },
    "records:write": {"role": "admin", "description": "Create and update clinical records."},
    "devices:read": {"role": "member", "description": "List devices and their status."},
    "webhooks:manage": {
        "role": "admin",
        "description": "Register and remove webhook endpoints.",
    },
}
# When the cache that counts requests fails: "open" lets requests through uncounted (keys
# are still checked against the database; one warning per minute), "closed" answers 503.
APIKEYS_RATE_LIMIT_ON_CACHE_FAILURE = env.str(
    "APIKEYS_RATE_LIMIT_ON_CACHE_FAILURE", default="open"
).lower()
if APIKEYS_RATE_LIMIT_ON_CACHE_FAILURE not in ("open", "closed"):
    raise ImproperlyConfigured("APIKEYS_RATE_LIMIT_ON_CACHE_FAILURE must be 'open' or 'closed'.")
APIKEYS_DEFAULT_SCOPES = env.list("APIKEYS_DEFAULT_SCOPES", default=["records:read"])

# Leaked keys (apikeys.leaks) ----------------------------------------------------------
# GitHub's secret scanning partner program: reports are signed with keys GitHub publishes
# here, fetched with a short timeout and cached; a report signed with a key not in the cache
# refetches them, at most once per SECRET_SCANNING_GITHUB_REFETCH_SECONDS.
SECRET_SCANNING_GITHUB_KEYS_URL = env.str(
    "SECRET_SCANNING_GITHUB_KEYS_URL",
    default="https://api.github.com/meta/public_keys/secret_scanning",
)
SECRET_SCANNING_GITHUB_KEYS_CACHE_SECONDS = env.int(
    "SECRET_SCANNING_GITHUB_KEYS_CACHE_SECONDS", default=3600
)
SECRET_SCANNING_GITHUB_REFETCH_SECONDS = env.int(
    "SECRET_SCANNING_GITHUB_REFETCH_SECONDS", default=60
)
SECRET_SCANNING_GITHUB_FETCH_TIMEOUT = env.float(
    "SECRET_SCANNING_GITHUB_FETCH_TIMEOUT", default=5.0
)
# Tokens in one report beyond this are a 400 (the body is also capped by
# DATA_UPLOAD_MAX_MEMORY_SIZE).
SECRET_SCANNING_MAX_TOKENS = env.int("SECRET_SCANNING_MAX_TOKENS", default=1000)
# Public leak reports (`POST /api/leaked-keys/`) per client IP and hour, then 429.
LEAK_REPORTS_PER_IP_PER_HOUR = env.int("LEAK_REPORTS_PER_IP_PER_HOUR", default=20)

# Every handler masks key-shaped values: a key that reached a URL must not reach a log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_keys": {"()": "apikeys.log_redaction.RedactAPIKeys"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_keys"],
        },
        # runserver's request lines (`make run`), which hold the URL.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_keys"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # The same lines under `make run`, where Daphne's runserver serves HTTP and sockets.
        "django.channels.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
