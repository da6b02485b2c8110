"""Rate limits per API key (and per user for session requests), right across processes.

DRF's `SimpleRateThrottle` keeps a list of timestamps under one cache key and writes it
back after reading it: two processes racing both read the same list and one count is lost.
Here each window is a counter that only ever moves through atomic operations (`INCR` on
Redis, `incr`, or `add` for a window's first hit, elsewhere), so N processes together accept
exactly the limit.

Two fixed windows (a minute and an hour) are counted per request. With Redis both counters
move in one round trip (a server-side script); elsewhere a window costs one `incr` call.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from apikeys.models import APIKey

if TYPE_CHECKING:
    from rest_framework.views import APIView


@dataclass(frozen=True, slots=True)
class Window:
    seconds: int
    limit: int


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


class WindowedRateThrottle(BaseThrottle):
    """Throttle on fixed-window counters.

    Override `get_ident(request)` (None means "not mine to throttle") and
    `get_windows(request)`.
    """

    scope = "base"

    def get_ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def get_windows(self, request: Request) -> list[Window]:
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        ident = self.get_ident(request)
        if ident is None:
            return True
        windows = [w for w in self.get_windows(request) if w.limit]
        if not windows:
            return True
        now = time.time()
        counters = [
            (f"rl:{self.scope}:{ident}:{w.seconds}:{int(now // w.seconds)}", w.seconds + 1)
            for w in windows
        ]
        counts = count_hits(counters)
        self._wait = 0.0
        for window, count in zip(windows, counts, strict=True):
            if count > window.limit:
                remaining = window.seconds - (now % window.seconds)
                self._wait = max(self._wait, remaining)
        return self._wait == 0.0

    def wait(self) -> float | None:
        return math.ceil(self._wait) if getattr(self, "_wait", 0) else None


class APIKeyRateThrottle(WindowedRateThrottle):
    """Limit each API key: `APIKEYS_RATE_PER_MINUTE`/`_PER_HOUR`, or the key's own limits."""

    scope = "key"

    def get_ident(self, request: Request) -> str | None:
        auth = getattr(request, "auth", None)
        return str(auth.pk) if isinstance(auth, APIKey) else None

    def get_windows(self, request: Request) -> list[Window]:
        key: APIKey = request.auth
        return [
            Window(60, key.rate_limit_per_minute or settings.APIKEYS_RATE_PER_MINUTE),
            Window(3600, key.rate_limit_per_hour or settings.APIKEYS_RATE_PER_HOUR),
        ]


class UserRateThrottle(WindowedRateThrottle):
    """Limit each signed-in user's session requests."""

    scope = "user"

    def get_ident(self, request: Request) -> str | None:
        if isinstance(getattr(request, "auth", None), APIKey):
            return None
        user = getattr(request, "user", None)
        return str(user.pk) if user is not None and user.is_authenticated else None

    def get_windows(self, request: Request) -> list[Window]:
        return [
            Window(60, settings.APIKEYS_USER_RATE_PER_MINUTE),
            Window(3600, settings.APIKEYS_USER_RATE_PER_HOUR),
        ]
