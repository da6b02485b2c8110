"""Carry a new key's plaintext from the request that made it to exactly one page view.

The Integrations pages and the admin both redirect after creating a key (post/redirect/get),
so the plaintext must wait somewhere for one GET. It waits in the server-side session (a
database row, never a cookie, a message or a URL), is removed by the first read, and is
refused and purged once older than `MAX_AGE_SECONDS`, so an abandoned page does not leave a
working key at rest.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypedDict

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


class Stash(TypedDict):
    key_id: str
    organization_id: str
    raw: str
    at: float


@sensitive_variables()
def stash(request: HttpRequest, key: APIKey, raw: str) -> None:
    """Keep `raw` for the next show-once page view of `key`."""
    request.session[SESSION_KEY] = Stash(
        key_id=str(key.pk), organization_id=str(key.organization_id), raw=raw, at=clock()
    )


@sensitive_variables()
def take(
    request: HttpRequest, *, key_id: object = None, organization_id: object = None
) -> Stash | None:
    """Remove and return the waiting plaintext if it is fresh and for this key/organization."""
    waiting = request.session.pop(SESSION_KEY, None)
    if not _fresh(waiting):
        return None
    if key_id is not None and waiting.get("key_id") != str(key_id):
        return None
    if organization_id is not None and waiting.get("organization_id") != str(organization_id):
        return None
    return waiting


def purge_stale(request: HttpRequest) -> None:
    """Drop a plaintext whose show-once page was never opened in time."""
    if SESSION_KEY in request.session and not _fresh(request.session[SESSION_KEY]):
        del request.session[SESSION_KEY]


def _fresh(waiting: object) -> bool:
    return isinstance(waiting, dict) and clock() - waiting.get("at", 0) <= MAX_AGE_SECONDS
