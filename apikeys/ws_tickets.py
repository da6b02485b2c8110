"""Single-use WebSocket tickets: a way into a socket that never puts a key in a URL.

Browsers cannot set headers on a WebSocket, and a long-lived key in `?token=` ends up in
proxy and access logs. So a client holding a credential (a key, a session, an access token)
trades it over HTTPS for a ticket, `POST /api/ws-tickets/`, and opens the socket with
`?ticket=<ticket>`. A ticket:

- is 256 random bits, kept in the cache only as a SHA-256 digest (a cache dump holds no
  usable ticket);
- works once: redeeming deletes it, and only the caller whose delete removed it gets in
  (the cache's delete is atomic on Redis and in process), so two racing sockets cannot both
  use one ticket;
- expires after `APIKEYS_WS_TICKET_SECONDS` (30 s): checked against the time it was
  minted, with the cache's own expiry as the backstop;
- names the credential it was minted with, and redeeming checks that credential again (a key
  revoked in the meantime, a deactivated user), so a ticket never outlives what it stands for.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

# The clock tickets are minted and checked by: tests set a fixed time here.
clock: Callable[[], float] = time.time


@dataclass(frozen=True, slots=True)
class Ticket:
    """Who a redeemed ticket was minted for: a user, and the key if a key minted it."""

    user_id: str
    key_prefix: str | None


def _cache_key(ticket: str) -> str:
    return "ws-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def ticket_mint(*, user_id: str, key_prefix: str | None) -> str:
    """Mint a single-use ticket for this user (and key); return the ticket to hand out."""
    ticket = secrets.token_urlsafe(32)
    lifetime = settings.APIKEYS_WS_TICKET_SECONDS
    record = {"user_id": user_id, "key_prefix": key_prefix, "minted_at": clock()}
    # The cache drops it a little after its lifetime; `ticket_redeem` enforces the lifetime.
    cache.set(_cache_key(ticket), record, timeout=lifetime + 5)
    return ticket


def ticket_redeem(ticket: str) -> Ticket | None:
    """Use up a ticket; return whom it was minted for, or None (unknown, used or expired)."""
    if not ticket or len(ticket) > 100:
        return None
    name = _cache_key(ticket)
    record: dict[str, Any] | None = cache.get(name)
    # Only the redeemer whose delete removed the ticket may use it.
    if record is None or not cache.delete(name):
        return None
    if clock() - record["minted_at"] > settings.APIKEYS_WS_TICKET_SECONDS:
        return None
    return Ticket(user_id=record["user_id"], key_prefix=record["key_prefix"])
