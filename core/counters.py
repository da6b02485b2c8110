"""Fixed-window hit counters that stay exact across threads and processes.

DRF's `SimpleRateThrottle` keeps a list of timestamps under one cache key and writes it
back after reading it: two processes racing both read the same list and one count is lost.
Here each window is a counter that only ever moves through atomic operations, so N
processes together accept exactly the limit:

- Redis: one server-side script moves every window of a request (`INCR` + `EXPIRE NX`), in
  one round trip; `PendingHits` even sends it before the key's database lookup and reads
  the reply after it, so the two round trips overlap;
- any other Django cache (the local-memory cache, the default without Redis): one atomic
  `incr` per window (`add` for a window's first hit). A one-call in-process twin of the
  Redis script saved about 4 % of what key authentication adds, less than the 5 % a
  trick must save to reach into a cache's private state (docs/performance.md).

`throttling.py` decides what to count and when to refuse; this module only counts.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError, RedisError

logger = logging.getLogger(__name__)


class CountersUnavailable(Exception):
    """The cache holding the counters did not answer (Redis down, stalled or refusing)."""


# A cache outage would otherwise log once per request: one warning per minute and process.
_WARN_EVERY = 60.0
_warned_at = [0.0]
_warn_lock = threading.Lock()


def warn_unavailable(error: BaseException, what: str) -> None:
    """Log that counting was skipped because the cache failed, at most once a minute."""
    now = time.monotonic()
    with _warn_lock:
        if now - _warned_at[0] < _WARN_EVERY:
            return
        _warned_at[0] = now
    logger.warning("%s: the cache did not answer (%s); counting skipped", what, error)


Counters = list[tuple[str, int]]  # (cache key, TTL in seconds) per window

WINDOWS = (60, 3600)  # seconds: a minute and an hour


def window_key(scope: str, ident: str, seconds: int, number: int) -> str:
    """The cache key of window `number` (`now // seconds`) of `ident`'s counters."""
    return f"rl:{scope}:{ident}:{seconds}:{number}"


def window_counters(
    scope: str,
    ident: str,
    now: float,
    seconds: tuple[int, ...],
    ttls: tuple[int, ...] | None = None,
) -> Counters:
    """The `(cache_key, ttl)` counter of each fixed window that `now` falls in.

    A counter lives one second past its window unless `ttls` says longer (a key's hour
    counter is also its usage total, read after the hour ends: `apikeys.usage`).
    """
    ttls = ttls or tuple(s + 1 for s in seconds)
    return [
        (window_key(scope, ident, s, int(now // s)), ttl)
        for s, ttl in zip(seconds, ttls, strict=True)
    ]


def count_hits(counters: Counters, cache: BaseCache | None = None) -> list[int]:
    """Add one hit to each counter and return the new counts (default cache unless given)."""
    cache = caches["default"] if cache is None else cache
    try:
        if isinstance(cache, RedisCache):
            return _count_hits_redis(cache, counters)
        return [_hit(cache, key, ttl) for key, ttl in counters]
    except (RedisError, OSError) as error:
        raise CountersUnavailable(str(error)) from error


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


# DEL the counters a refused request started (ARGV[1] of them, first in KEYS), and count the
# rest like the script above: undoing one count and taking another in one round trip.
_DISCARD_AND_COUNT_LUA = """
local undone = tonumber(ARGV[1])
for i = 1, undone do redis.call('DEL', KEYS[i]) end
local counts = {}
for i = undone + 1, #KEYS do
  counts[#counts + 1] = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[i - undone + 1], 'NX')
end
return counts
"""


def _count_hits_redis(cache: RedisCache, counters: Counters) -> list[int]:
    script = _redis_script(cache)
    # The keys are built here from ids and numbers: `make_key` (no memcached-style
    # validation) is enough.
    keys = [cache.make_key(key) for key, _ in counters]
    return [int(n) for n in script(keys=keys, args=[ttl for _, ttl in counters])]


def _redis_script(cache: RedisCache, lua: str = _COUNT_HITS_LUA) -> Any:
    """A registered script (counting, by default) on a redis-py client kept for this backend.

    Django's `RedisCache` builds a new redis-py client object on every call, which costs
    more than the round trip itself; the client is only a handle on the backend's connection
    pool, so one per backend (Django keeps one backend per thread) does.
    """
    backend = cache._cache  # RedisCacheClient: the documented way to Redis-only commands
    scripts = getattr(backend, "_keyportal_scripts", None)
    if scripts is None:
        scripts = backend._keyportal_scripts = {}
    script = scripts.get(lua)
    if script is None:
        script = scripts[lua] = backend.get_client(write=True).register_script(lua)
    return script


def start_hits(counters: Counters, now: float) -> PendingHits | LocalHits:
    """Start counting in the default cache: on Redis the counters go out now."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        try:
            return PendingHits(cache, counters, now)
        except (RedisError, OSError) as error:
            raise CountersUnavailable(str(error)) from error
    return LocalHits(cache, counters, now)


class PendingHits:
    """Window counters sent to Redis whose reply has not been read yet.

    `result()` or `discard()` must follow, exactly once: they read the reply and give the
    connection back to the pool.
    """

    def __init__(self, cache: RedisCache, counters: Counters, now: float) -> None:
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
            return count_hits(self._counters, self._cache)
        except (RedisError, OSError) as error:
            self._release(broken=True)
            raise CountersUnavailable(str(error)) from error
        except BaseException:
            self._release(broken=True)
            raise
        self._release()
        return [int(n) for n in reply]

    def discard(self, instead: Counters = ()) -> list[int]:
        """Read and drop the reply, delete the counters (the key was refused) and count
        `instead` in the same round trip; return its counts."""
        try:
            self.result()
        finally:
            script = _redis_script(self._cache, _DISCARD_AND_COUNT_LUA)
            keys = [self._cache.make_key(key) for key, _ in (*self._counters, *instead)]
            args = [len(self._counters), *(ttl for _, ttl in instead)]
            try:
                counts = script(keys=keys, args=args)
            except (RedisError, OSError) as error:
                raise CountersUnavailable(str(error)) from error
        return [int(n) for n in counts]

    def _release(self, *, broken: bool = False) -> None:
        if broken:
            self._connection.disconnect()
        self._pool.release(self._connection)


class LocalHits:
    """Counters on a cache in this process: `PendingHits`' interface, counted by `result()`.

    Counting costs no round trip here, so nothing is counted before the key is known.
    """

    def __init__(self, cache: BaseCache, counters: Counters, now: float) -> None:
        self.now = now
        self._cache, self._counters = cache, counters

    def result(self) -> list[int]:
        return count_hits(self._counters, self._cache)

    def discard(self, instead: Counters = ()) -> list[int]:
        """Nothing was counted yet, so nothing to undo: count `instead` and return its counts."""
        return count_hits(instead, self._cache) if instead else []
