"""`check --deploy` warnings for what a production deployment must not leave implicit."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core import checks

PEPPER_DERIVED = checks.Warning(
    "APIKEYS_PEPPER is not set: key digests are keyed by a pepper derived from SECRET_KEY, so "
    "rotating SECRET_KEY would invalidate every API key.",
    hint="Set APIKEYS_PEPPER to its own long random value, and keep it when SECRET_KEY rotates.",
    id="apikeys.W001",
)
WORKERS_WITHOUT_REDIS = checks.Warning(
    "Several workers without REDIS_URL: each process counts rate limits and sign-in attempts "
    "on its own, so every limit is multiplied by the number of workers.",
    hint="Set REDIS_URL so every worker shares the same counters.",
    id="apikeys.W002",
)


@checks.register(checks.Tags.security, deploy=True)
def deployment_checks(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when the pepper is derived, or when several workers run without Redis."""
    found = []
    if not settings.APIKEYS_PEPPER:
        found.append(PEPPER_DERIVED)
    workers = os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY") or "1"
    shared = "redis" in settings.CACHES["default"]["BACKEND"].lower()
    if not shared and workers.isdigit() and int(workers) > 1:
        found.append(WORKERS_WITHOUT_REDIS)
    return found
