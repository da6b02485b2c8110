"""In-process measurement through the whole Django and DRF stack, endpoints interleaved.

Run as a child of `benchmarks.run` (JSON in on stdin, JSON out on stdout), in a fresh
process against an already seeded bench database. Requests are WSGI environ dicts handed to
Django's real `WSGIHandler` (middleware, URL resolution, DRF, rendering, the request
signals that manage persistent connections), with no HTTP server or client in the way.

Method: every endpoint is warmed up, then each round runs a short batch of requests against
every endpoint in a shuffled order, each request timed on its own. A round's figure for an
endpoint is the median of its batch; an endpoint's cost is the median over the rounds, and
its added cost the median over rounds of its figure minus `none`'s in the same round. Short
rounds (tens of milliseconds) and medians keep a shared machine's drift and preemptions out
of the differences.
"""

from __future__ import annotations

import gc
import io
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import django

# name -> (path, Authorization header format); `{apikey}`, `{token}`, `{drf}` are filled in.
ENDPOINTS: dict[str, tuple[str, str | None]] = {
    "none": ("/bench/none/", None),
    "token": ("/bench/token/", "Token {token}"),
    "apikey": ("/bench/apikey/", "Bearer {apikey}"),
    "apikey-nothrottle": ("/bench/apikey-nothrottle/", "Bearer {apikey}"),
    "drf-api-key": ("/bench/drf-api-key/", "Api-Key {drf}"),
    "floor": ("/bench/floor/", "Bearer {apikey}"),
    "floor-prepared": ("/bench/floor-prepared/", "Bearer {apikey}"),  # PostgreSQL only
}
# Refused before any I/O: counted, not timed.
MALFORMED = "kp_live_not-a-key"


def environ_for(path: str, authorization: str | None) -> dict[str, Any]:
    """A GET request's WSGI environ, as gunicorn would build it."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.errors": sys.stderr,
    }
    if authorization is not None:
        environ["HTTP_AUTHORIZATION"] = authorization
    return environ


def make_caller(app: Callable, environ: dict[str, Any]) -> Callable[[], int]:
    """Return a function that sends the request once and returns the status code."""
    status: list[str] = []

    def start_response(s: str, headers: list, exc_info: Any = None) -> None:
        status.append(s)

    def call() -> int:
        status.clear()
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(b"")
        response = app(env, start_response)
        try:
            b"".join(response)
        finally:
            response.close()  # fires request_finished, as a server would
        return int(status[0][:3])

    return call


class Counter:
    """Count SQL statements (and writes among them) and cache calls while active.

    Cache calls are round trips to the server on Redis (every send on a redis-py
    connection), and calls into the cache API (outermost only) on in-process caches.
    """

    CACHE_METHODS = (
        "get",
        "set",
        "add",
        "incr",
        "decr",
        "delete",
        "get_many",
        "set_many",
        "delete_many",
        "has_key",
        "touch",
        "get_or_set",
        "count_windows",
    )

    def __init__(self) -> None:
        self.queries = 0
        self.writes = 0
        self.cache_calls = 0
        self._depth = 0

    def _query(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        if sql.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            self.writes += 1
        return execute(sql, params, many, context)

    @contextmanager
    def active(self) -> Iterator[Counter]:
        from django.core.cache import caches
        from django.core.cache.backends.redis import RedisCache
        from django.db import connections

        cache = caches["default"]
        if isinstance(cache, RedisCache):
            restore = self._count_redis_round_trips()
        else:
            restore = self._count_cache_api_calls(cache)
        try:
            with ExitStack() as wrapped:
                for alias in connections:
                    wrapped.enter_context(connections[alias].execute_wrapper(self._query))
                yield self
        finally:
            restore()

    def _count_cache_api_calls(self, cache: Any) -> Callable[[], None]:
        for name in self.CACHE_METHODS:
            setattr(cache, name, self._wrap(getattr(cache, name)))

        def restore() -> None:
            for name in self.CACHE_METHODS:
                delattr(cache, name)

        return restore

    def _wrap(self, method: Callable) -> Callable:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if self._depth == 0:
                self.cache_calls += 1
            self._depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                self._depth -= 1

        return counted

    def _count_redis_round_trips(self) -> Callable[[], None]:
        from redis.connection import AbstractConnection

        original = AbstractConnection.send_packed_command

        def send(connection: Any, *args: Any, **kwargs: Any) -> Any:
            self.cache_calls += 1
            return original(connection, *args, **kwargs)

        AbstractConnection.send_packed_command = send

        def restore() -> None:
            AbstractConnection.send_packed_command = original

        return restore


def count(call: Callable[[], int], n: int = 20) -> dict[str, float]:
    """Queries, writes and cache calls per request, over `n` steady-state requests."""
    with Counter().active() as counter:
        for _ in range(n):
            call()
    return {
        "queries": counter.queries / n,
        "writes": counter.writes / n,
        "cache_calls": counter.cache_calls / n,
    }


def timed_batch(call: Callable[[], int], batch: int) -> float:
    """Microseconds per request over one batch: the median of the batch's requests.

    Each request is timed on its own: on a shared machine a batch's mean swings with the
    few requests that were preempted, its median does not.
    """
    clock = time.perf_counter_ns
    times = []
    for _ in range(batch):
        started = clock()
        call()
        times.append(clock() - started)
    return statistics.median(times) / 1000


def measure(config: dict[str, Any]) -> dict[str, Any]:
    """Warm up, count, then time the endpoints in interleaved rounds, on every database.

    With two databases (`default`, `large`: two key counts, see benchmarks/routing.py) every
    endpoint but `none` runs against each, in the same rounds; `none` touches no database
    and is the baseline of both. Results are by database alias.
    """
    from django.core.wsgi import get_wsgi_application
    from django.db import connection, connections

    from benchmarks.routing import HEADER

    app = get_wsgi_application()
    credentials = config["credentials"]
    databases = [alias for alias in ("default", "large") if alias in connections]
    callers = {}
    for name, (path, auth) in ENDPOINTS.items():
        # SQLite's driver keeps its own cache of prepared statements: there, it is `floor`.
        if name == "floor-prepared" and connection.vendor != "postgresql":
            continue
        for alias in databases[:1] if name == "none" else databases:
            environ = environ_for(path, auth and auth.format(**credentials))
            if alias == "large":
                environ[HEADER] = "large"
            callers[name, alias] = make_caller(app, environ)
    for (name, alias), call in callers.items():
        statuses = {call() for _ in range(config["warmup"])}
        if statuses != {200}:
            raise SystemExit(f"bench endpoint {name} ({alias}) answered {statuses}, expected 200")

    counts = {key: count(call) for key, call in callers.items()}
    refusals = {}
    for label, raw in (("malformed", MALFORMED), ("bad-checksum", _bad_checksum(credentials))):
        call = make_caller(app, environ_for("/bench/apikey/", f"Bearer {raw}"))
        if call() != 401:
            raise SystemExit(f"a {label} key was not refused with 401")
        refusals[f"apikey ({label} key)"] = count(call)

    rng = random.Random(config.get("seed", 1))
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in callers}
    # Everything alive now (Django, the app, the callers) is left out of later collections,
    # which then stay short; they run between rounds, never inside a timed request.
    gc.collect()
    gc.freeze()
    for _ in range(config["rounds"]):
        order = list(callers)
        rng.shuffle(order)
        for key in order:
            samples[key].append(timed_batch(callers[key], config["batch"]))
        gc.collect()
    baseline = ("none", databases[0])
    return {
        alias: {
            "samples": {
                name: samples[baseline if name == "none" else (name, alias)]
                for name, at in callers
                if at == alias or name == "none"
            },
            "counts": {
                name: counts[baseline if name == "none" else (name, alias)]
                for name, at in callers
                if at == alias or name == "none"
            },
            "refusals": refusals,
        }
        for alias in databases
    }


def summarize(samples: dict[str, list[float]], counts: dict[str, Any]) -> dict[str, Any]:
    """Per endpoint: median µs per request, median added µs over `none` by round, counts.

    `samples[name][i]` is round i's µs per request; every endpoint ran in every round.
    """
    results: dict[str, Any] = {}
    for name, times in samples.items():
        added = [t - base for t, base in zip(times, samples["none"], strict=True)]
        results[name] = {
            "median_us": statistics.median(times),
            "added_us": statistics.median(added),
            "rps": 1e6 / statistics.median(times),
            **counts[name],
        }
    return results


def _bad_checksum(credentials: dict[str, str]) -> str:
    raw = credentials["apikey"]
    last = "A" if raw[-1] != "A" else "B"
    return raw[:-1] + last


def main() -> None:
    """Read the run's config on stdin, print the measurements as JSON on stdout."""
    config = json.load(sys.stdin)
    django.setup()
    json.dump(measure(config), sys.stdout)


if __name__ == "__main__":
    main()
