"""The bench's Django processes, run by `benchmarks.run` under benchmarks/settings.py:

    python -m benchmarks.inprocess seed|measure    (JSON config on stdin, JSON on stdout)

`seed` tops every key table up to N rows from precomputed rows, in bulk, and on a new
database makes the keys the bench sends the ordinary way. `measure` times every endpoint in
interleaved rounds through Django's real `WSGIHandler`, and counts its I/O: see "Method" in
docs/performance.md.
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
from typing import Any

import django

FILLERS_PER_ORG = 100
BENCH_RATE_LIMIT = 10**9  # the throttles count every request, but never refuse the bench


def _insert(model: Any, start: int, stop: int, **values: Any) -> None:
    """Insert rows `start` to `stop` of `model`. Each column's value is given (a constant or a
    function of the row number) or is its field's default; auto-incremented ids are left out."""
    from django.db import connection, transaction
    from django.db.models.fields import AutoFieldMixin

    fields = [
        f
        for f in model._meta.concrete_fields
        if f.attname in values or not isinstance(f, AutoFieldMixin)
    ]
    given = [values[f.attname] if f.attname in values else f.get_default() for f in fields]
    varying = [(n, v) for n, v in enumerate(given) if callable(v)]
    prepare = lambda f, v: None if callable(v) else f.get_db_prep_save(v, connection)  # noqa: E731
    template = [prepare(f, v) for f, v in zip(fields, given, strict=True)]

    def rows() -> Iterator[list[Any]]:
        for i in range(start, stop):
            row = template.copy()
            for n, value in varying:
                row[n] = value(i)
            yield row

    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with transaction.atomic(), connection.cursor() as cursor:  # SQLite: not a journal per row
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows())


def seed(config: dict[str, Any]) -> dict[str, Any]:
    """Top every key table up to `config["keys"]` rows (users and memberships alike); on a
    new database, migrate first and make the bench's own keys, returning their plaintexts."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey as DrfKey

    from apikeys import conf, keys, services
    from apikeys.models import APIKey
    from organizations.models import Membership, Organization, Role, User

    if config["new"]:
        call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    target, now, brand = config["keys"], timezone.now(), conf.brand()
    have = User.objects.filter(email__endswith="@filler.invalid").count()
    orgs_have = Organization.objects.filter(slug__startswith="filler-").count()
    # 8 distinct base62 characters per filler, spread over the whole prefix space (the
    # multiplier is odd and not a multiple of 31: a permutation of 62**8), computed once.
    bodies = [keys.base62((i * 0x9E3779B1 + 12345) % 62**8, 8) for i in range(have, target)]
    digest = keys.digest(f"{brand}_live_{'0' * 49}", conf.pepper())  # one digest for all
    drf_digest = DrfKey.objects.key_generator.hash("filler.filler")

    def uuid(kind: int) -> Callable[[int], str]:  # a distinct UUID per (kind, i), as hex
        return lambda i: f"{kind:08x}{i:024x}"

    org_id = uuid(2)
    org_of = lambda i: org_id(i // FILLERS_PER_ORG)  # noqa: E731  (a filler key's organization)
    body = lambda i: bodies[i - have]  # noqa: E731
    superuser = False
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # a throwaway file: no fsync, indexes in memory
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -400000")
        else:  # consistent by construction: no per-row FK triggers, if we may turn them off
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            if superuser := cursor.fetchone()[0]:
                cursor.execute("SET session_replication_role = replica")
    # fmt: off
    _insert(Organization, orgs_have, -(-target // FILLERS_PER_ORG), id=org_id,
            name=lambda j: f"Filler clinic {j}", slug=lambda j: f"filler-{j}", created_at=now)
    _insert(User, have, target, id=uuid(1), password="!",  # unusable: fillers never sign in
            email=lambda i: f"u{i}@filler.invalid")
    _insert(Membership, have, target, user_id=uuid(1), organization_id=org_of,
            role=lambda i: ("owner", "admin", "member")[i % 3], created_at=now)
    _insert(APIKey, have, target, id=uuid(3), organization_id=org_of, created_by_id=uuid(1),
            name="Filler", prefix=lambda i: f"{brand}_live_{body(i)}", hashed_key=digest,
            hash_version=keys.HASH_VERSION, scopes=["records:read"], created_at=now)
    _insert(Token, have, target, key=lambda i: f"{i:040x}", user_id=uuid(1), created=now)
    _insert(DrfKey, have, target, id=lambda i: f"{body(i)}.{drf_digest}", prefix=body,
            hashed_key=drf_digest, name="filler", created=now)
    # fmt: on
    with connection.cursor() as cursor:
        if superuser:
            cursor.execute("RESET session_replication_role")
        cursor.execute("ANALYZE")
    result: dict[str, Any] = {"seconds": round(time.perf_counter() - started, 1)}
    if config["new"]:
        user = User.objects.create_user("bench@bench.invalid", password=None)
        org = Organization.objects.create(name="Bench clinic", slug="bench-clinic")
        Membership.objects.create(user=user, organization=org, role=Role.OWNER)
        _, raw = services.api_key_create(
            organization=org,
            actor=user,
            name="Bench",
            scopes=["records:read"],
            rate_limit_per_minute=BENCH_RATE_LIMIT,
            rate_limit_per_hour=BENCH_RATE_LIMIT,
            acting_key=None,
        )
        token = Token.objects.create(user=user).key
        _, drf = DrfKey.objects.create_key(name="bench")
        result["credentials"] = {"apikey": raw, "token": token, "drf": drf}
    return result


def caller(app: Callable, path: str, authorization: str | None, alias: str) -> Callable[[], int]:
    """A function that hands one GET to `app` as gunicorn would and returns its status."""
    from benchmarks.views import DATABASE_HEADER

    # fmt: off
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "application/json", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.errors": sys.stderr,
    }
    # fmt: on
    if authorization is not None:
        environ["HTTP_AUTHORIZATION"] = authorization
    if alias == "large":
        environ[DATABASE_HEADER] = "large"
    status: list[str] = []

    def call() -> int:
        status.clear()
        response = app({**environ, "wsgi.input": io.BytesIO()}, lambda s, *_: status.append(s))
        try:
            b"".join(response)
        finally:
            response.close()  # fires request_finished, as a server would
        return int(status[0][:3])

    return call


def count(call: Callable[[], int], n: int = 20) -> dict[str, float]:
    """Queries, writes and cache calls per request, over `n` steady-state requests."""
    from benchmarks.costs import counting

    with counting() as cost:
        for _ in range(n):
            call()
    return {name: getattr(cost, name) / n for name in ("queries", "writes", "cache_calls")}


def timed_batch(call: Callable[[], int], batch: int) -> float:
    """µs per request over one batch: the median of its requests, each timed on its own."""
    times = []
    for _ in range(batch):
        started = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - started)
    return statistics.median(times) / 1000


def measure(config: dict[str, Any]) -> dict[str, Any]:
    """Check the floor, warm up, count, then time every endpoint in interleaved rounds.

    With two databases (`default` and `large`: the two key counts, see benchmarks/views.py),
    every endpoint but `none` runs against each in the same rounds; `none` touches no
    database and is the baseline of both. Results are by database alias.
    """
    from django.core.wsgi import get_wsgi_application
    from django.db import connection, connections

    from benchmarks.report import ENDPOINTS, authorization
    from benchmarks.views import check_floor

    app, credentials = get_wsgi_application(), config["credentials"]
    databases = [alias for alias in ("default", "large") if alias in connections]
    for alias in databases:
        check_floor(alias)
    callers = {}
    for name in ENDPOINTS:
        # SQLite's driver keeps its own cache of prepared statements: there, it is `floor`.
        if name == "floor-prepared" and connection.vendor != "postgresql":
            continue
        for alias in databases[:1] if name == "none" else databases:
            header = authorization(name, credentials)
            callers[name, alias] = caller(app, f"/bench/{name}/", header, alias)
    for (name, alias), call in callers.items():
        statuses = {call() for _ in range(config["warmup"])}
        if statuses != {200}:
            raise SystemExit(f"bench endpoint {name} ({alias}) answered {statuses}, not 200")
    counts = {key: count(call) for key, call in callers.items()}
    refusals = {}
    raw = credentials["apikey"]
    bad_checksum = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    for label, bad in (("malformed", "kp_live_not-a-key"), ("bad-checksum", bad_checksum)):
        call = caller(app, "/bench/apikey/", f"Bearer {bad}", "default")
        if call() != 401:
            raise SystemExit(f"a {label} key was not refused with 401")
        refusals[f"apikey ({label} key)"] = count(call)

    rng = random.Random(1)
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in callers}
    # Everything alive now is left out of later collections, which then stay short; they run
    # between rounds, never inside a timed request.
    gc.collect()
    gc.freeze()
    for _ in range(config["rounds"]):
        for key in rng.sample(list(callers), len(callers)):
            samples[key].append(timed_batch(callers[key], config["batch"]))
        gc.collect()
    results = {}
    for alias in databases:
        keys = [("none", databases[0])] + [k for k in callers if k[1] == alias and k[0] != "none"]
        results[alias] = {
            "samples": {name: samples[name, at] for name, at in keys},
            "counts": {name: counts[name, at] for name, at in keys},
            "refusals": refusals,
        }
    results[databases[0]]["interval_write"] = interval_write(
        callers["apikey", databases[0]], raw, max(config["rounds"] // 4, 5)
    )
    return results


def interval_write(call: Callable[[], int], raw: str, rounds: int) -> dict[str, Any]:
    """Time the request that stores last-used and usage (once per interval per key) beside
    a steady one, in pairs: the key's `last_used_at` is cleared, untimed, before each pair."""
    from apikeys import conf, keys, usage
    from apikeys.models import APIKey
    from benchmarks.costs import counting

    stale = APIKey.objects.filter(prefix=keys.parse(raw, conf.brand()).prefix)
    write, last_used_only, steady = [], [], []
    store = usage.flush_quietly
    for _ in range(rounds):
        stale.update(last_used_at=None)
        write.append(timed_batch(call, 1))
        steady.append(timed_batch(call, 1))
        # The same request without its usage upsert: what storing usage adds to it.
        stale.update(last_used_at=None)
        usage.flush_quietly = lambda key, now: None
        try:
            last_used_only.append(timed_batch(call, 1))
        finally:
            usage.flush_quietly = store
    stale.update(last_used_at=None)
    with counting() as cost:
        call()
    counts = {name: getattr(cost, name) for name in ("queries", "writes", "cache_calls")}
    return {
        "write": write,
        "last_used_only": last_used_only,
        "steady": steady,
        "counts": counts,
    }


if __name__ == "__main__":
    command, config = sys.argv[1], json.load(sys.stdin)
    django.setup()
    json.dump({"seed": seed, "measure": measure}[command](config), sys.stdout)
