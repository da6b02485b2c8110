"""Rate limits per API key (and per user for session requests), right across processes.

DRF's `SimpleRateThrottle` keeps a list of timestamps under one cache key and writes it
back after reading it: two processes racing both read the same list and one count is lost.
Here each window is a counter that only ever moves through atomic operations (`INCR` on
Redis, `incr`, or `add` for a window's first hit, elsewhere), so N processes together accept
exactly the limit.

Two fixed windows (a minute and an hour) are counted per request. With Redis both counters
move in one round trip (a server-side script); elsewhere a window costs one `incr` call.

A key's counters are started by `APIKeyAuthentication` (`start_key_hits`): with Redis they
are even sent before the key's database lookup and read after it, so the two round trips
overlap instead of adding up. The throttle then only compares the counts with the limits.
The counters are named by a fragment of the key's HMAC digest, which only the key's holder
can produce: knowing a key's public prefix is not enough to spend its budget, and a failed
authentication of a key nobody issued deletes the counters it started. A genuine key's
refused requests (revoked, paused, expired) count like any other.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from apikeys.models import APIKey

if TYPE_CHECKING:
    from rest_framework.views import APIView


def count_hits(counters: list[tuple[str, int]]) -> list[int]:
    """Add one hit to each `(cache_key, ttl)` counter and return the new counts atomically."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return _count_hits_redis(cache, counters)
    return [_hit(cache, key, ttl) for key, ttl in counters]


def _hit(cache: BaseCache, key: str, ttl: int) -> int:
    # `incr` first: once a window's counter exists (every hit but its first), one atomic
    # call per window. Only a missing counter takes `add`, and losing that race to another
    # process means the counter now exists, so `incr` again.
    for _ in range(3):
        try:
            return cache.incr(key)
        except ValueError:
            pass
        if cache.add(key, 1, ttl):
            return 1
    return 1  # a backend that can neither add nor incr (DummyCache): nothing to count on


# INCR every window's counter and give a new counter its TTL (EXPIRE NX: only when it has
# none), in one script: one round trip for all windows, atomic on the server.
_COUNT_HITS_LUA = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[i], 'NX')
end
return counts
"""


WINDOWS = (60, 3600)  # seconds: a minute and an hour


def window_counters(
    scope: str, ident: str, now: float, seconds: tuple[int, ...]
) -> list[tuple[str, int]]:
    """The `(cache_key, ttl)` counter of each fixed window that `now` falls in."""
    return [(f"rl:{scope}:{ident}:{s}:{int(now // s)}", s + 1) for s in seconds]


def _count_hits_redis(cache: RedisCache, counters: list[tuple[str, int]]) -> list[int]:
    script = _redis_script(cache)
    # The keys are built here from ids and numbers: `make_key` (no memcached-style
    # validation, which walks every character) is enough.
    keys = [cache.make_key(key) for key, _ in counters]
    return [int(n) for n in script(keys=keys, args=[ttl for _, ttl in counters])]


def _redis_script(cache: RedisCache) -> Any:
    """The registered counting script on a redis-py client kept for this cache backend.

    Django's `RedisCache` builds a new redis-py client object on every call, which costs
    more than the round trip itself; the client is only a handle on the backend's connection
    pool, so one per backend (Django keeps one backend per thread) does.
    """
    backend = cache._cache  # RedisCacheClient: the documented way to Redis-only commands
    script = getattr(backend, "_keyportal_count_hits", None)
    if script is None:
        script = backend.get_client(write=True).register_script(_COUNT_HITS_LUA)
        backend._keyportal_count_hits = script
    return script


class PendingHits:
    """Window counters sent to Redis whose reply has not been read yet.

    `result()` or `discard()` must follow, exactly once: they read the reply and give the
    connection back to the pool.
    """

    def __init__(self, cache: RedisCache, counters: list[tuple[str, int]], now: float) -> None:
        self.now = now
        self._cache, self._counters = cache, counters
        self._keys = [cache.make_key(key) for key, _ in counters]
        script = _redis_script(cache)
        self._pool = script.registered_client.connection_pool
        self._connection = self._pool.get_connection()
        try:
            self._connection.send_command(
                "EVALSHA", script.sha, len(self._keys), *self._keys, *(t for _, t in counters)
            )
        except BaseException:
            self._release(broken=True)
            raise

    def result(self) -> list[int]:
        """Read the counts (the script is loaded and run the slow way if Redis lost it)."""
        try:
            reply = self._connection.read_response()
        except NoScriptError:
            self._release()
            return _count_hits_redis(self._cache, self._counters)
        except BaseException:
            self._release(broken=True)
            raise
        self._release()
        return [int(n) for n in reply]

    def discard(self) -> None:
        """Read and drop the reply, and delete the counters: the key was refused."""
        try:
            self.result()
        finally:
            self._cache.delete_many([key for key, _ in self._counters])

    def _release(self, *, broken: bool = False) -> None:
        if broken:
            self._connection.disconnect()
        self._pool.release(self._connection)


def start_key_hits(request: Request, ident: str) -> PendingHits | LocalHits | None:
    """Start counting a key's windows, if this request's view will throttle it.

    With Redis the counters go out now and their reply is read after the key's lookup; an
    in-process cache costs no round trip, so it counts when the key is accepted.
    """
    view = (getattr(request, "parser_context", None) or {}).get("view")
    throttles = getattr(view, "throttle_classes", ())
    if not any(issubclass(t, APIKeyRateThrottle) for t in throttles):
        return None
    cache = caches["default"]
    now = time.time()
    counters = window_counters(APIKeyRateThrottle.scope, ident, now, WINDOWS)
    if isinstance(cache, RedisCache):
        return PendingHits(cache, counters, now)
    return LocalHits(cache, counters, now)


class LocalHits:
    """Window counters on an in-process cache, counted by `result()`; `PendingHits`' interface."""

    def __init__(self, cache: BaseCache, counters: list[tuple[str, int]], now: float) -> None:
        self.now = now
        self._cache, self._counters = cache, counters

    def result(self) -> list[int]:
        return [_hit(self._cache, key, ttl) for key, ttl in self._counters]

    def discard(self) -> None:
        """Nothing was counted yet: nothing to undo."""


class WindowedRateThrottle(BaseThrottle):
    """Throttle on fixed-window counters: a minute and an hour.

    Override `get_ident(request)` (None means "not mine to throttle") and
    `get_limits(request)` (the most hits per minute and per hour; 0 leaves a window
    unlimited), and `counted_hits(request, ident)` when the counts were taken earlier in
    the request.
    """

    scope = "base"
    windows = WINDOWS

    def get_ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def get_limits(self, request: Request) -> tuple[int, int]:
        raise NotImplementedError

    def counted_hits(self, request: Request, ident: str) -> tuple[float, list[int]]:
        """Count this request in each window; return the time counted at and the counts."""
        now = time.time()
        return now, count_hits(window_counters(self.scope, ident, now, self.windows))

    def allow_request(self, request: Request, view: APIView) -> bool:
        ident = self.get_ident(request)
        if ident is None:
            return True
        limits = self.get_limits(request)
        if not any(limits):
            return True
        now, counts = self.counted_hits(request, ident)
        # A refused request waits until the end of the longest window it is over.
        wait = 0.0
        for seconds, limit, count in zip(self.windows, limits, counts, strict=True):
            if limit and count > limit:
                wait = max(wait, seconds - now % seconds)
        self._wait = wait
        return not wait

    def wait(self) -> float | None:
        return math.ceil(self._wait) if getattr(self, "_wait", 0) else None


class APIKeyRateThrottle(WindowedRateThrottle):
    """Limit each API key: `APIKEYS_RATE_PER_MINUTE`/`_PER_HOUR`, or the key's own limits."""

    scope = "key"

    def get_ident(self, request: Request) -> str | None:
        auth = request.auth
        return counter_ident(auth.hashed_key) if isinstance(auth, APIKey) else None

    def get_limits(self, request: Request) -> tuple[int, int]:
        key: APIKey = request.auth
        return (
            key.rate_limit_per_minute or settings.APIKEYS_RATE_PER_MINUTE,
            key.rate_limit_per_hour or settings.APIKEYS_RATE_PER_HOUR,
        )

    def counted_hits(self, request: Request, ident: str) -> tuple[float, list[int]]:
        # Counted during authentication (`start_key_hits`), for the same windows.
        early = getattr(request.auth, "rate_hits", None)
        return early if early is not None else super().counted_hits(request, ident)


def counter_ident(digest: str) -> str:
    """Name a key's counters by a fragment of its HMAC digest, which only its holder has."""
    return digest[:24]


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
