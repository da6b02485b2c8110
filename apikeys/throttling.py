"""Rate limits per API key (and per user for session requests), right across processes.

Two fixed windows, a minute and an hour, counted by `core.counters` (atomic on every
cache: exact limits across processes with Redis). A key's counting starts through
`APIKeyAuthentication`'s `start_during_lookup` hook, so that with Redis it overlaps the key's
database lookup; the throttle then only compares the counts with the limits.

The counters are named by a fragment of the key's HMAC digest, which only the key's holder
can produce: knowing a key's public prefix is not enough to spend its budget, and a failed
authentication of a key nobody issued deletes the counters it started. A genuine key's
refused requests (revoked, paused, expired) count like any other.

Unknown keys count per client IP (`APIKEYS_UNKNOWN_KEYS_PER_IP_PER_MINUTE`): the checksum is
public, so anyone can forge well-formed keys that each cost a lookup. The count rides on the
cache call that already deletes the unknown key's counters; an address over the limit is
remembered in the process until its window ends, and refused (429) before any I/O, whatever
key it sends, so the refusal says nothing about which prefixes exist.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.exceptions import APIException, Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from apikeys import usage
from apikeys.models import APIKey
from apikeys.usage import counter_ident
from core.clients import client_ip
from core.counters import (
    WINDOWS,
    CountersUnavailable,
    LocalHits,
    PendingHits,
    count_hits,
    start_hits,
    warn_unavailable,
    window_counters,
)

if TYPE_CHECKING:
    from rest_framework.views import APIView


RATE_LIMITS_UNAVAILABLE = "Rate limits cannot be checked right now; try again shortly."
# DRF's Throttled adds "Expected available in N seconds."
TOO_MANY_UNKNOWN_KEYS = "Too many requests with unknown API keys from this address."
# Seconds a client is told to wait when rate limits fail closed.
UNAVAILABLE_RETRY_AFTER = 30


class RateLimitsUnavailable(APIException):
    """503: the cache that counts requests did not answer and the policy is to fail closed."""

    status_code = 503
    default_detail = RATE_LIMITS_UNAVAILABLE
    default_code = "rate_limits_unavailable"
    wait = UNAVAILABLE_RETRY_AFTER  # DRF's exception handler turns it into Retry-After


class WindowedRateThrottle(BaseThrottle):
    """Throttle on fixed-window counters: a minute and an hour.

    Override `get_ident(request)` (None means "not mine to throttle") and
    `get_limits(request)` (the most hits per minute and per hour; 0 leaves a window
    unlimited), and `counted_hits(request, ident)` when the counts were taken earlier in
    the request.
    """

    scope = "base"
    windows = WINDOWS
    # The clock, as DRF's own throttles have it: tests set a fixed time here.
    timer = staticmethod(time.time)

    def get_ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def get_limits(self, request: Request) -> tuple[int, int]:
        raise NotImplementedError

    def counters(self, ident: str, now: float) -> list[tuple[str, int]]:
        """The `(cache key, ttl)` of each window's counter for `ident` at `now`."""
        return window_counters(self.scope, ident, now, self.windows)

    def counted_hits(self, request: Request, ident: str) -> tuple[float, list[int]]:
        """Count this request in each window; return the time counted at and the counts."""
        now = self.timer()
        return now, count_hits(self.counters(ident, now))

    def refused(self, request: Request, ident: str, now: float) -> None:
        """Note a request refused by the limits (a hook: nothing by default)."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        ident = self.get_ident(request)
        if ident is None:
            return True
        limits = self.get_limits(request)
        if not any(limits):
            return True
        try:
            now, counts = self.counted_hits(request, ident)
        except CountersUnavailable as error:
            return self.allow_uncounted(error)
        # A refused request waits until the end of the longest window it is over.
        wait = 0.0
        for seconds, limit, count in zip(self.windows, limits, counts, strict=True):
            if limit and count > limit:
                wait = max(wait, seconds - now % seconds)
        self._wait = wait
        if wait:
            self.refused(request, ident, now)
        return not wait

    def wait(self) -> float | None:
        return math.ceil(self._wait) if getattr(self, "_wait", 0) else None

    def allow_uncounted(self, error: CountersUnavailable) -> bool:
        """Decide a request the cache could not count, by `APIKEYS_RATE_LIMIT_ON_CACHE_FAILURE`.

        "open" (the default): let it through uncounted, since the key itself was checked
        against the database and an outage of the counters must not stop every integration.
        "closed": refuse it with a 503 and `Retry-After`.
        """
        if settings.APIKEYS_RATE_LIMIT_ON_CACHE_FAILURE == "closed":
            raise RateLimitsUnavailable
        warn_unavailable(error, f"rate limits ({self.scope})")
        return True


class APIKeyRateThrottle(WindowedRateThrottle):
    """Limit each API key: `APIKEYS_RATE_PER_MINUTE`/`_PER_HOUR`, or the key's own limits."""

    scope = "key"
    # The hour window's count is also the key's usage total, read after the hour ends.
    ttls = (WINDOWS[0] + 1, usage.COUNTS_TTL)

    @classmethod
    def key_counters(cls, ident: str, now: float) -> list[tuple[str, int]]:
        return window_counters(cls.scope, ident, now, cls.windows, cls.ttls)

    def counters(self, ident: str, now: float) -> list[tuple[str, int]]:
        return self.key_counters(ident, now)

    def refused(self, request: Request, ident: str, now: float) -> None:
        usage.count_limited(ident, now)  # one cache call, on the 429 path only

    def get_ident(self, request: Request) -> str | None:
        auth = request.auth
        return counter_ident(auth.hashed_key) if isinstance(auth, APIKey) else None

    def get_limits(self, request: Request) -> tuple[int, int]:
        key: APIKey = request.auth
        return (
            key.rate_limit_per_minute or settings.APIKEYS_RATE_PER_MINUTE,
            key.rate_limit_per_hour or settings.APIKEYS_RATE_PER_HOUR,
        )

    @classmethod
    def start_during_lookup(cls, request: Request, digest: str) -> KeyCount:
        """Start counting the key's windows before its lookup (APIKeyAuthentication's hook).

        With Redis the counters go out now and their reply is read after the lookup; an
        in-process cache costs no round trip, so it counts when the lookup is done.
        """
        now = cls.timer()
        if UNKNOWN_KEYS.blocked:  # empty unless someone has been sending unknown keys
            UNKNOWN_KEYS.refuse_if_blocked(request, now)
        ident = counter_ident(digest)
        try:
            return KeyCount(request, ident, start_hits(cls.key_counters(ident, now), now))
        except CountersUnavailable as error:
            return KeyCount(request, ident, None, error)

    def counted_hits(self, request: Request, ident: str) -> tuple[float, list[int]]:
        # Counted during authentication, for the same windows, when the view let it.
        early = getattr(request, KEY_COUNTS, None)
        if isinstance(early, CountersUnavailable):
            raise early
        return early if early is not None else super().counted_hits(request, ident)


# The request attribute where a key's counts taken during authentication wait for the throttle.
KEY_COUNTS = "apikey_window_counts"


class KeyCount:
    """A key's window count started during authentication, finished after its lookup.

    If the cache failed, the failure waits on the request instead of the counts, for the
    throttle to decide by its policy: authentication itself never fails for it.
    """

    __slots__ = ("error", "ident", "pending", "request")

    def __init__(
        self,
        request: Request,
        ident: str,
        pending: PendingHits | LocalHits | None,
        error: CountersUnavailable | None = None,
    ) -> None:
        self.request, self.ident, self.pending, self.error = request, ident, pending, error

    def finish(self, *, genuine: bool, refused: APIKey | None = None) -> None:
        """Keep a genuine key's counts on the request; for an unknown key, undo them and
        count the failure against the client's address (429 once over the limit).

        A genuine key the rules `refused` (revoked, paused, ...) is also counted as refused
        for its usage: one more cache call on that failure path, and once per interval
        its counts are stored."""
        try:
            if self.pending is None:
                raise self.error or CountersUnavailable("not started")
            if genuine:
                setattr(self.request, KEY_COUNTS, (self.pending.now, self.pending.result()))
            else:
                UNKNOWN_KEYS.count(self.request, self.pending)
        except CountersUnavailable as error:
            if genuine:
                setattr(self.request, KEY_COUNTS, error)
            return
        if refused is not None and usage.count_refused(self.ident, self.pending.now):
            usage.flush_quietly(refused, datetime.fromtimestamp(self.pending.now, tz=UTC))


class UnknownKeysPerAddress:
    """Count unknown keys per client IP; refuse an address over the limit before any I/O.

    `blocked` maps an address to the end of the window it went over the limit in. It is
    per process: each process learns of an address on its own next unknown key from it, so
    across N processes an address gets at most N - 1 lookups past the limit per window.
    """

    window = 60
    most_remembered = 10_000  # addresses; past it the oldest are forgotten (counting stays)

    def __init__(self) -> None:
        self.blocked: dict[str, float] = {}

    def count(self, request: Request, pending: PendingHits | LocalHits) -> None:
        """Undo an unknown key's window counts and count it against its address."""
        limit = settings.APIKEYS_UNKNOWN_KEYS_PER_IP_PER_MINUTE
        ip = client_ip(request) if limit else None
        if ip is None:
            pending.discard()
            return
        now = pending.now
        counters = window_counters("unknown-key", ip, now, (self.window,))
        (count,) = pending.discard(counters)
        if count > limit:
            self.block(ip, now - now % self.window + self.window)
            self.refuse(now)

    def refuse_if_blocked(self, request: Request, now: float) -> None:
        until = self.blocked.get(client_ip(request) or "")
        if until is None:
            return
        if now < until:
            self.refuse(now)
        self.forget_expired(now)

    def block(self, ip: str, until: float) -> None:
        if len(self.blocked) >= self.most_remembered:
            for forgotten in list(self.blocked)[: self.most_remembered // 10]:
                del self.blocked[forgotten]
        self.blocked[ip] = until

    def forget_expired(self, now: float) -> None:
        for ip, until in list(self.blocked.items()):
            if until <= now:
                self.blocked.pop(ip, None)

    def refuse(self, now: float) -> None:
        raise Throttled(
            wait=math.ceil(self.window - now % self.window), detail=TOO_MANY_UNKNOWN_KEYS
        )


UNKNOWN_KEYS = UnknownKeysPerAddress()


class UserRateThrottle(WindowedRateThrottle):
    """Limit each signed-in user's session requests."""

    scope = "user"

    def get_ident(self, request: Request) -> str | None:
        if isinstance(request.auth, APIKey):
            return None
        user = request.user
        return str(user.pk) if user is not None and user.is_authenticated else None

    def get_limits(self, request: Request) -> tuple[int, int]:
        return settings.APIKEYS_USER_RATE_PER_MINUTE, settings.APIKEYS_USER_RATE_PER_HOUR
