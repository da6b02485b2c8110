"""The window counters behind the rate limits, on each kind of cache."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache.backends.locmem import LocMemCache

from core import counters
from core.counters import count_hits

WINDOWS = [("rl:test:a:60:1", 61), ("rl:test:a:3600:1", 3601)]


@pytest.fixture
def local_cache():
    """Django's own local-memory cache, the default without Redis."""
    cache = LocMemCache("counters-test", {})
    cache.clear()
    yield cache
    cache.clear()


def test_every_window_starts_at_one_and_counts_each_hit(local_cache):
    assert count_hits(WINDOWS, local_cache) == [1, 1]
    assert count_hits(WINDOWS, local_cache) == [2, 2]
    assert count_hits(WINDOWS[:1], local_cache) == [3]
    assert count_hits(WINDOWS, local_cache) == [4, 3]


def test_counts_are_ordinary_cache_values_that_clear_resets(local_cache):
    count_hits(WINDOWS, local_cache)
    count_hits(WINDOWS, local_cache)
    assert [local_cache.get(key) for key, _ in WINDOWS] == [2, 2]

    local_cache.clear()

    assert local_cache.get(WINDOWS[0][0]) is None
    assert count_hits(WINDOWS, local_cache) == [1, 1]


def test_each_counter_gets_its_windows_ttl(local_cache):
    # A TTL of 0 is "expired at once" to Django's caches: such a window starts again on
    # every hit, while the hour window keeps counting, so each counter got its own TTL.
    short_and_long = [("rl:test:short", 0), ("rl:test:long", 50)]
    assert count_hits(short_and_long, local_cache) == [1, 1]
    assert count_hits(short_and_long, local_cache) == [1, 2]


def test_threads_racing_on_the_same_windows_lose_no_hit(local_cache):
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: count_hits(WINDOWS, local_cache), range(400)))

    assert sorted(r[0] for r in results) == list(range(1, 401))
    assert sorted(r[1] for r in results) == list(range(1, 401))


def test_local_hits_count_only_when_read_and_discarding_them_counts_nothing(local_cache):
    discarded = counters.LocalHits(local_cache, WINDOWS, now=0.0)
    discarded.discard()
    assert local_cache.get(WINDOWS[0][0]) is None

    assert counters.LocalHits(local_cache, WINDOWS, now=0.0).result() == [1, 1]
