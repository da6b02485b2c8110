"""Write docs/performance.md from one bench run: the numbers, the verdicts, and the method."""

from __future__ import annotations

from typing import Any

from benchmarks.report import (
    BACKENDS,
    STACK_HEADER,
    added,
    endpoint_header,
    endpoint_rows,
    markdown_table,
    stack_rows,
    targets,
)

INTRO = """\
# Performance of API-key authentication

Every downstream API request pays for key authentication, so what it adds per request is
this product's main figure (issue 10). This page is written by `make bench`
(`python -m benchmarks.run`, code in `benchmarks/`) from one run: every number below comes
from the run described under *Latest run*. Timings are measured here, never asserted in the
test suite; the query and cache-call counts behind them are pinned by
`tests/apikeys/test_auth_performance.py`.
"""

METHOD = """\
## Method

- **In process**: every endpoint is the same DRF view returning `{"ok": true}`; only the
  authentication (and, for (c), the project's default throttles) differs. Requests are WSGI
  environs handed to Django's real `WSGIHandler` (middleware, URL resolution, DRF,
  rendering, the request signals that manage persistent connections), with no server or
  client in the way, in a fresh process, after a warm-up. Each round times a short batch
  of requests at every endpoint in a shuffled order, each request on its own; a round's
  figure for an endpoint is its batch's median. *µs/request* is the median over rounds;
  *added µs* is the median over rounds of (endpoint - (a)) in the same round. Rounds last
  tens of milliseconds, so the drift of a shared machine cancels, and medians keep
  preempted requests out; the ratios divide added costs.
- **Counts** (SQL statements, writes among them, cache calls) come from a separate pass of
  steady-state requests. Cache calls are round trips to the server on Redis, calls into the
  cache API for the in-process cache.
- **Peers** run as their projects ship them, without throttles. (c) runs with
  `APIKeyRateThrottle` and `UserRateThrottle` as in `REST_FRAMEWORK`, last-used tracking on;
  the bench key carries a huge per-key limit so the throttles count every request but never
  refuse one.
- **Floors** authenticate with the same lookup as (c) (key, organization, creator and the
  creator's membership in one statement, the same columns) written by hand, check what (c)
  checks (HMAC, status, expiry, active creator, membership), build only the user and
  convert only what the checks need. (e) runs it through a plain cursor, as in the issue.
  (f), PostgreSQL only, prepares it on the server once per connection, as (c) does;
  SQLite's driver already caches prepared statements, so there (e) is the like-for-like floor.
  Like (c), the floors let their statement stand in for the connection health check.
- **Keys**: every kind of key (Keyportal, DRF tokens, djangorestframework-api-key) has the
  stated number of rows (with as many users and memberships), bulk-inserted from precomputed
  rows; the keys the bench sends are made through the normal code paths. The two key
  counts are two databases open in the same process; every endpoint but (a) runs against
  both in the same rounds, and (a) is the baseline of both.
- **Whole stack**: gunicorn, 2 sync workers, on 127.0.0.1, with the same settings; a Python
  load generator (4 threads, one request per connection, fixed count per slice, time cap)
  interleaves the endpoints in rounds. *req/s* is the median over slices; *÷ (a)* the
  median over rounds of the slice's rate over (a)'s in the same round; p50 and p99 are
  over all requests of the endpoint, client side.
"""

DESIGN = """\
## How the cost was cut

- **One lookup, compiled once** (`apikeys/lookup.py`, `_CompiledLookup`): the key, its
  organization, its creator and the creator's membership role in one statement, built with
  the ORM (so columns, joins and quoting cannot drift from the models) and compiled once per
  database alias. Each request runs it through a Django cursor (counted and logged like any
  query) and applies the converters a queryset would (looked up once). The statement uses
  named parameters: with positional `%s`, SQLite's backend rewrites the 2 KB statement with
  a regular expression on every execute, which cost as much as running it.
- **Instances built as `from_db` leaves them**: `Model.__init__` sends two signals and sets
  every field through its descriptor, four times what writing the resulting state costs.
  The three instances are their field values in `__dict__` and a `_state` naming the
  database, unless a model has its own `__init__` or an init signal has a receiver (then
  `Model.from_db` builds them). Tests compare every field with an ORM load.
- **Prepared on PostgreSQL**: parsing and planning the three-table statement costs the
  server several times more than running it, and Django's cursors never prepare. The lookup
  sends `PREPARE` together with its first `EXECUTE` on each connection (one round trip, one
  counted query), then only `EXECUTE`. Behind a transaction-mode pooler that does not keep
  prepared statements (PgBouncer before 1.21), set `APIKEYS_PREPARED_LOOKUP = False`.
- **Persistent connections, checked by the lookup itself** (`CONN_MAX_AGE` 60,
  `CONN_HEALTH_CHECKS` on): opening a PostgreSQL connection costs more than the lookup.
  Django's health check sends `SELECT 1` before the first query of every request on a kept
  connection: a round trip. The lookup is a query on that same connection, so it takes the
  check over: if it fails on a connection that is no longer usable, it reconnects and runs
  the read-only statement again, as the check would have (tested by terminating the
  server's backend between requests). (b) and (d) pay the `SELECT 1`.
- **Last-used tracking** writes at most once per `APIKEYS_LAST_USED_INTERVAL` (60 s) per key,
  with a conditional `UPDATE` so concurrent workers do not both write.
- **Rate limits** (`apikeys/counters.py`, `apikeys/throttling.py`): both windows move in
  one call. On Redis it is a server-side script (`INCR` + `EXPIRE NX` per window) on a
  redis-py client kept per cache backend (Django's `RedisCache` builds a new redis-py client
  object on every call, which cost more than the round trip); the script is sent before
  the key's SQL lookup and its reply read after it, so the two round trips overlap (the
  counters are named by the key's HMAC digest, known before the lookup; a public prefix
  cannot spend another key's budget). Without Redis, the default cache is Django's
  `LocMemCache` plus `count_windows`, which moves every window under one hold of the
  cache's lock: Django's API would take one `incr` per window, each validating the key and
  unpickling and pickling the count. Any other cache takes one atomic `incr` per window.
- **Refusals before I/O**: a malformed key or one with a bad CRC32 checksum is refused by
  `apikeys/keys.py` before any database or cache call.
- **Nothing is cached between requests**: a revoke, pause, member removal or user
  deactivation refuses the very next request (tested, one query each).
"""


def render(meta: dict[str, Any], results: dict[str, Any]) -> str:
    parts = [INTRO, _latest_run(meta, results), _targets(results), METHOD]
    for name, backend in results.items():
        parts.append(f"## In process: {BACKENDS[name]}\n")
        for count, measured in sorted(backend["in_process"].items(), key=lambda kv: int(kv[0])):
            seeded = backend["seeding"][count]
            parts.append(
                f"**{int(count):,} keys of each kind** (bulk load: {seeded['seconds']} s)\n\n"
                + markdown_table(endpoint_header(measured), endpoint_rows(measured))
                + "\n\n"
                + _refusals(measured)
                + "\n"
            )
        if "no_health_checks" in backend:
            largest = max(backend["in_process"], key=int)
            measured = backend["no_health_checks"]
            parts.append(
                f"**{int(largest):,} keys, `CONN_HEALTH_CHECKS` off** (not the shipped setting:"
                " what Django's per-request `SELECT 1` costs the endpoints that send it, (b)"
                " and (d); (c) and the floors let their statement stand in for it)\n\n"
                + markdown_table(endpoint_header(measured), endpoint_rows(measured))
                + "\n"
            )
    for name, backend in results.items():
        if "stack" in backend:
            parts.append(
                f"## Whole stack: {BACKENDS[name]} ({backend['stack_keys']:,} keys)\n\n"
                + markdown_table(STACK_HEADER, stack_rows(backend["stack"]))
                + "\n"
            )
    parts += [DESIGN, _reading(results)]
    return "\n".join(parts)


def _latest_run(meta: dict[str, Any], results: dict[str, Any]) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in meta["packages"].items())
    servers = "; ".join(
        f"{k} {v}" for backend in results.values() for k, v in backend["versions"].items()
    )
    inprocess, stack = meta["config"]["inprocess"], meta["config"]["stack"]
    before, after = meta["load_before"], meta["load_after"]
    lines = [
        "## Latest run\n",
        f"- **Date**: {meta['date']}; the run took {meta['minutes']:.1f} minutes.",
        f"- **Command**: `{meta['command']}` (`make bench`){meta.get('services', '')}.",
        f"- **Machine**: {meta['cpu']}, {meta['memory']}, {meta['os']}.",
        f"- **Load**: shared with other work while measuring (load average {before[0]:.2f}"
        f" before, {after[0]:.2f} after): single figures move by 10-20% between runs,"
        " ratios less.",
        f"- **Software**: Python {meta['python']}, SQLite {meta['sqlite']};"
        f" {servers or 'no servers'}; {packages}.",
        f"- **Rounds**: in process, {inprocess['rounds']} rounds of {inprocess['batch']}"
        f" requests per endpoint and key count (in {meta['config']['passes']} processes,"
        " both key counts in each) after"
        f" {inprocess['warmup']} warm-up requests;"
        f" whole stack, {stack['rounds']} rounds of {stack['requests']} requests per endpoint"
        f" from {stack['concurrency']} client threads.",
    ]
    return "\n".join(lines) + "\n"


def _targets(results: dict[str, Any]) -> str:
    rows = targets(results)
    table = markdown_table(["target (issue 10)", "measured", "verdict"], rows)
    missed = [target for target, _, verdict in rows if "missed" in verdict]
    checked = [row for row in rows if row[2] != "n/a"]
    summary = f"{len(checked) - len(missed)} of {len(checked)} checked targets met" + (
        "; missed: " + "; ".join(missed) + "." if missed else "."
    )
    return f"""\
## Targets

{summary}

{table}

Also required, and pinned by tests rather than timed
(`tests/apikeys/test_auth_performance.py`): one query for a valid key, zero queries and
zero cache calls for a malformed or bad-checksum key, no write within the last-used
interval, and a revoke, pause, member removal or deactivation refusing the very next
request with one query. Where a verdict says missed, see *Reading the numbers*.
"""


def _refusals(measured: dict[str, Any]) -> str:
    return "Refused before any I/O: " + "; ".join(
        f"{label}: {c['queries']:.0f} queries, {c['cache_calls']:.0f} cache calls"
        for label, c in measured["refusals"].items()
    )


def _reading(results: dict[str, Any]) -> str:
    lines = ["## Reading the numbers\n"]
    for name, backend in results.items():
        largest = max(backend["in_process"], key=int)
        m = backend["in_process"][largest]
        throttle = added(m, "apikey") - added(m, "apikey-nothrottle")
        floors = f"(e) {added(m, 'floor'):.0f} µs"
        if "floor-prepared" in m["endpoints"]:
            floors += f", (f) {added(m, 'floor-prepared'):.0f} µs"
        how = (
            "one Redis round trip" if name == "postgres" else "one in-process `count_windows` call"
        )
        lines.append(
            f"- **Where (c)'s cost goes**, {BACKENDS[name]}, {int(largest):,} keys: the lookup "
            f"and the checks, (c0), add {added(m, 'apikey-nothrottle'):.0f} µs; the two "
            f"rate-limit windows ({how}) add {throttle:.0f} µs more. Floors: {floors}; "
            f"(b) {added(m, 'token'):.0f} µs, (d) {added(m, 'drf-api-key'):.0f} µs."
        )
    lines.append(_FLOOR_NOTE)
    if "postgres" in results:
        lines.append(_postgres_note(results["postgres"]))
    lines.append(_SCALE_NOTE)
    return "\n".join(lines)


_FLOOR_NOTE = """\
- **Against the floor.** The floors run no throttle, so "(c) within 1.5 x the floor"
  charges the rate limits to the lookup; (c0) against the floor compares the lookups
  alone. What remains between (c0) and the floor is what the ORM contract
  costs per request: converting every column (text to UUID, naive to aware datetimes on
  SQLite) for three model instances, where the floor builds one user and converts only
  what its checks read. On Redis the windows are one more round trip, overlapped with the
  lookup's, which the floors do not make."""

_SCALE_NOTE = """\
- **Key count.** The lookup is one unique-index probe per table, so the largest key count
  costs what the smallest does, within the machine's noise. Both key counts are measured in
  the same process and the same rounds (one database each, `benchmarks/routing.py`), so
  the comparison shares the machine's drift and the process's own speed; measured in
  separate processes, that alone moved the ratio by more than 10%."""


def _postgres_note(backend: dict[str, Any]) -> str:
    largest = max(backend["in_process"], key=int)
    shipped = backend["in_process"][largest]
    rate_limits = added(shipped, "apikey") - added(shipped, "apikey-nothrottle")
    lines = [
        "- **PostgreSQL is counted in round trips.** On this shared 2-core machine a loopback"
        " round trip costs 100-200 µs inside a request (the client waits for the server"
        " process to be scheduled), often more. (c) makes two, overlapped: the prepared"
        " `EXECUTE` and the Redis script. (b) and (d) make two in a row,"
        " `CONN_HEALTH_CHECKS`' `SELECT 1` and their query, which the server parses and plans"
        " every time, after their Python compiled it."
    ]
    off = backend.get("no_health_checks")
    if off:
        lines.append(
            "  Without the health check (the extra table, measured in a process of its own, so"
            " compare its ratios, not its microseconds, with the shipped table's): (c) ÷ (b) ="
            f" {_ratio(off, 'apikey', 'token'):.2f}, (c) ÷ (d) ="
            f" {_ratio(off, 'apikey', 'drf-api-key'):.2f}; (b) and (d) lose their `SELECT 1`,"
            " (c) had none to lose."
        )
    lookup = " and ".join(
        f"{_ratio(m, 'apikey-nothrottle', 'floor-prepared'):.2f}"
        for m in backend["in_process"].values()
    )
    lines += [
        "- **Whole stack on PostgreSQL.** Two gunicorn workers, PostgreSQL, Redis and the load"
        " generator share two cores (with other work), so throughput is bound by the CPU all"
        " processes spend per request, not by latency: (c) spends less than (b) in the worker"
        " and in PostgreSQL (see (c0) in process), and adds a Redis hop (a context switch each"
        " way and the script).",
        f"- **What would lower (c) further on PostgreSQL.** The lookup is at the floor: (c0)"
        f" adds {lookup} x what the prepared floor (f) adds (by key count). The rate limits"
        f" cost {rate_limits:.0f} µs here, mostly the Redis round trip. Options: Redis on a"
        " Unix socket or on the application host; rate limiting at the proxy, or in process"
        " per worker (giving up exact limits across processes).",
    ]
    return "\n".join(lines)


def _ratio(measured: dict[str, Any], name: str, reference: str) -> float:
    return added(measured, name) / added(measured, reference)
