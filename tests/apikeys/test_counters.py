"""The window counters behind the rate limits, on each kind of cache."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache as DjangoLocMemCache
from django.core.cache.backends.redis import RedisCache

from core import counters
from core.counters import LocMemCache, count_hits

WINDOWS = [("rl:test:a:60:1", 61), ("rl:test:a:3600:1", 3601)]


@pytest.fixture
def local_cache():
    cache = LocMemCache("counters-test", {})
    cache.clear()
    yield cache
    cache.clear()


def test_every_window_starts_at_one_and_counts_each_hit(local_cache):
    assert local_cache.count_windows(WINDOWS) == [1, 1]
    assert local_cache.count_windows(WINDOWS) == [2, 2]
    assert local_cache.count_windows(WINDOWS[:1]) == [3]
    assert local_cache.count_windows(WINDOWS) == [4, 3]


def test_counts_are_ordinary_cache_values_that_clear_resets(local_cache):
    local_cache.count_windows(WINDOWS)
    local_cache.count_windows(WINDOWS)
    assert [local_cache.get(key) for key, _ in WINDOWS] == [2, 2]
    assert local_cache.incr(WINDOWS[0][0]) == 3  # Django's own API agrees on the value

    local_cache.clear()

    assert local_cache.get(WINDOWS[0][0]) is None
    assert local_cache.count_windows(WINDOWS) == [1, 1]


def test_a_window_starts_again_once_its_ttl_has_passed(local_cache, monkeypatch):
    import time

    now = 1_800_000_000.0
    monkeypatch.setattr(time, "time", lambda: now)
    local_cache.count_windows([("rl:test:short", 5), ("rl:test:long", 50)])
    local_cache.count_windows([("rl:test:short", 5), ("rl:test:long", 50)])

    now += 6

    assert local_cache.count_windows([("rl:test:short", 5), ("rl:test:long", 50)]) == [1, 3]


def test_threads_racing_on_the_same_windows_lose_no_hit(local_cache):
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: local_cache.count_windows(WINDOWS), range(400)))

    assert sorted(r[0] for r in results) == list(range(1, 401))
    assert sorted(r[1] for r in results) == list(range(1, 401))
    # Both windows moved together: no thread saw one counted without the other.
    assert all(minute == hour for minute, hour in results)


def test_the_default_cache_without_redis_counts_both_windows_in_one_call():
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        pytest.skip("the Redis pass counts with its script (tests/apikeys/test_throttling.py)")
    assert isinstance(cache, LocMemCache)
    assert count_hits(WINDOWS) == [1, 1]
    assert count_hits(WINDOWS) == [2, 2]


def test_any_other_django_cache_counts_with_incr_and_add():
    cache = DjangoLocMemCache("counters-plain", {})
    cache.clear()
    assert not hasattr(cache, "count_windows")

    assert count_hits(WINDOWS, cache) == [1, 1]
    assert count_hits(WINDOWS, cache) == [2, 2]
    assert cache.get(WINDOWS[1][0]) == 2
    cache.clear()


def test_local_hits_count_only_when_read_and_discarding_them_counts_nothing(local_cache):
    discarded = counters.LocalHits(local_cache, WINDOWS, now=0.0)
    discarded.discard()
    assert local_cache.get(WINDOWS[0][0]) is None

    assert counters.LocalHits(local_cache, WINDOWS, now=0.0).result() == [1, 1]
