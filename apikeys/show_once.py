"""Carry a new key's plaintext from the request that made it to exactly one page view.

The Integrations pages and the admin both redirect after creating a key (post/redirect/get),
so the plaintext must wait somewhere for one GET. It waits in the cache under a random token,
with a `MAX_AGE_SECONDS` expiry the cache itself enforces (Redis's TTL), and the server-side
session holds only the token: no database row ever holds the plaintext, and an abandoned
page leaves nothing that outlives ten minutes, whether or not anyone comes back. The first
read removes it. If the cache fails, nothing waits anywhere: `stash` says so and the page
that created the key shows it in its own response instead (`Cache-Control: no-store`).
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import TYPE_CHECKING, TypedDict

from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

    from apikeys.models import APIKey

SESSION_KEY = "apikeys.show_once"
MAX_AGE_SECONDS = 600

# What every show-once page says, the Integrations page and the admin alike.
SHOWN_ONCE = "Copy this key now: it will not be shown again."
# Rotating, not revoking and creating anew, is the advice: the replacement keeps the name,
# scopes and settings, and a grace period can keep the lost key working while it is swapped.
NO_LONGER_SHOWN = (
    "This key can no longer be shown: a key is displayed only once, right after it is created. "
    "If it was lost, rotate the key to get a new one with the same name, scopes and settings."
)

# The clock a stash is dated and judged fresh by (seconds since the epoch). This is the
# module's injection point: tests replace it to age a waiting plaintext.
clock: Callable[[], float] = time.time


logger = logging.getLogger(__name__)
CACHE_PREFIX = "show-once:"


class Stash(TypedDict):
    key_id: str
    organization_id: str
    raw: str
    at: float


@sensitive_variables()
def stash(request: HttpRequest, key: APIKey, raw: str) -> bool:
    """Keep `raw` for the next show-once page view of `key` (ten minutes at most).

    Return False when the cache failed: then nothing was kept (the session is a database
    row, and no row may ever hold a plaintext), and the caller shows the key at once.
    """
    token = secrets.token_urlsafe(24)
    request.session.pop(SESSION_KEY, None)
    try:
        cache.set(CACHE_PREFIX + token, raw, timeout=MAX_AGE_SECONDS)
    except Exception as error:
        logger.warning("show-once: the cache failed (%s); the key is shown at once", error)
        return False
    request.session[SESSION_KEY] = {
        "key_id": str(key.pk),
        "organization_id": str(key.organization_id),
        "at": clock(),
        "token": token,
    }
    return True


@sensitive_variables()
def take(
    request: HttpRequest, *, key_id: object = None, organization_id: object = None
) -> Stash | None:
    """Remove and return the waiting plaintext if it is fresh and for this key/organization."""
    waiting = request.session.pop(SESSION_KEY, None)
    raw = _pop_plaintext(waiting)
    if raw is None or not _fresh(waiting):
        return None
    if key_id is not None and waiting.get("key_id") != str(key_id):
        return None
    if organization_id is not None and waiting.get("organization_id") != str(organization_id):
        return None
    return Stash(
        key_id=waiting["key_id"],
        organization_id=waiting["organization_id"],
        raw=raw,
        at=waiting["at"],
    )


def purge_stale(request: HttpRequest) -> None:
    """Drop a plaintext whose show-once page was never opened in time."""
    if SESSION_KEY in request.session and not _fresh(request.session[SESSION_KEY]):
        _pop_plaintext(request.session.pop(SESSION_KEY))


@sensitive_variables()
def _pop_plaintext(waiting: object) -> str | None:
    """Remove the waiting plaintext from wherever it waits and return it (None: gone)."""
    if not isinstance(waiting, dict):
        return None
    if "raw" in waiting:  # left by a version that kept it in the session: shown, then gone
        return waiting["raw"]
    token = waiting.get("token")
    if not isinstance(token, str):
        return None
    try:
        raw = cache.get(CACHE_PREFIX + token)
        cache.delete(CACHE_PREFIX + token)
    except Exception as error:
        logger.warning("show-once: the cache failed (%s)", error)
        return None
    return raw


def _fresh(waiting: object) -> bool:
    return isinstance(waiting, dict) and clock() - waiting.get("at", 0) <= MAX_AGE_SECONDS
