"""Fill the bench database: N keys of each kind in seconds, by bulk-inserting precomputed rows.

Run as a child of `benchmarks.run` (JSON in on stdin, JSON out on stdout). Filler rows share
one precomputed digest and vary only their ids and prefixes; they go in through
`executemany` (SQLite) or `COPY` (PostgreSQL), never the ORM one row at a time. The keys the
bench actually sends are made the ordinary way (the lifecycle service, `Token.objects`,
`APIKey.objects.create_key`), and their plaintexts go back to the parent on stdout only.

Each call tops the tables up to `keys` rows, so 1,000 then 1,000,000 reuses the first load.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

import django

ORGS_PER_KEY = 100  # filler keys per filler organization
CHUNK = 50_000
BENCH_RATE_LIMIT = 10**9  # the throttles run in full, but the bench key never hits them
_BODY_MULTIPLIER = 0x9E3779B1  # odd and not a multiple of 31: a permutation of 62**8


def filler_body(i: int) -> str:
    """Return 8 distinct-per-`i` base62 characters, spread over the whole prefix space."""
    from apikeys import keys

    return keys.base62((i * _BODY_MULTIPLIER + 12345) % 62**8, 8)


def filler_uuid(kind: int, i: int) -> str:
    """A distinct UUID per `(kind, i)`, as the 32 hex digits both databases accept."""
    return f"{kind:08x}{i:024x}"


def _insert(model: Any, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert `rows` (already database-ready values) into `model`'s table, fast."""
    from django.db import connection, transaction

    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({placeholders})"
    batch: list[tuple[Any, ...]] = []
    # One transaction: in autocommit SQLite would journal every row on its own.
    with transaction.atomic(), connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


class Rows:
    """Build database-ready rows of one model: constants are prepared once, by the fields.

    Values are constants or functions of the row number `i`.
    """

    def __init__(self, model: Any, **values: Any) -> None:
        from django.db import connection

        self.model = model
        fields = [f for f in model._meta.concrete_fields if f.attname in values]
        self.columns = [f.column for f in fields]
        self.template = [
            None if callable(v := values[f.attname]) else f.get_db_prep_save(v, connection)
            for f in fields
        ]
        self.varying = [
            (n, values[f.attname]) for n, f in enumerate(fields) if callable(values[f.attname])
        ]

    def rows(self, start: int, stop: int) -> Iterator[tuple[Any, ...]]:
        template, varying = self.template, self.varying
        for i in range(start, stop):
            row = template.copy()
            for n, value in varying:
                row[n] = value(i)
            yield tuple(row)

    def insert(self, start: int, stop: int) -> int:
        return _insert(self.model, self.columns, self.rows(start, stop))


def top_up(target: int) -> dict[str, Any]:
    """Add filler rows until every key table holds `target` rows; return what was done."""
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey as DrfKey

    from apikeys import conf, keys
    from apikeys.models import APIKey
    from organizations.models import Membership, Organization, User

    started = time.perf_counter()
    now = timezone.now()
    brand = conf.brand()
    have = User.objects.filter(email__endswith="@filler.invalid").count()
    orgs_have = Organization.objects.filter(slug__startswith="filler-").count()
    orgs_need = -(-target // ORGS_PER_KEY)
    digest = keys.digest(f"{brand}_live_{'0' * 49}", conf.pepper())
    drf_digest = DrfKey.objects.key_generator.hash("filler.filler")
    roles = ("owner", "admin", "member")
    # Each filler prefix is used three times (two tables): compute it once.
    bodies = [filler_body(i) for i in range(have, target)]

    def body(i: int) -> str:
        return bodies[i - have]

    org = Rows(
        Organization,
        id=lambda j: filler_uuid(2, j),
        name=lambda j: f"Filler clinic {j}",
        slug=lambda j: f"filler-{j}",
        created_at=now,
    )
    user = Rows(
        User,
        id=lambda i: filler_uuid(1, i),
        password="!",  # an unusable password: fillers never sign in
        last_login=None,
        is_superuser=False,
        email=lambda i: f"u{i}@filler.invalid",
        full_name="",
        is_staff=False,
        is_active=True,
        date_joined=now,
    )
    membership = Rows(
        Membership,
        user_id=lambda i: filler_uuid(1, i),
        organization_id=lambda i: filler_uuid(2, i // ORGS_PER_KEY),
        role=lambda i: roles[i % 3],
        created_at=now,
    )
    key = Rows(
        APIKey,
        id=lambda i: filler_uuid(3, i),
        organization_id=lambda i: filler_uuid(2, i // ORGS_PER_KEY),
        created_by_id=lambda i: filler_uuid(1, i),
        name="Filler",
        mode="live",
        prefix=lambda i: f"{brand}_live_{body(i)}",
        hashed_key=digest,
        hash_version=keys.HASH_VERSION,
        scopes=["records:read"],
        status="active",
        is_default=False,
        expires_at=None,
        last_used_at=None,
        created_at=now,
        paused_at=None,
        revoked_at=None,
        revoked_by_id=None,
        rotated_from_id=None,
        rotated_at=None,
        rate_limit_per_minute=None,
        rate_limit_per_hour=None,
    )
    token = Rows(Token, key=lambda i: f"{i:040x}", user_id=lambda i: filler_uuid(1, i), created=now)
    drf = Rows(
        DrfKey,
        id=lambda i: f"{body(i)}.{drf_digest}",
        prefix=body,
        hashed_key=drf_digest,
        created=now,
        name="filler",
        revoked=False,
        expiry_date=None,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The rows are consistent by construction: skip the per-row foreign-key triggers
            # (needs a superuser, as the bench database's owner usually is).
            cursor.execute("SET session_replication_role = replica")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # A throwaway file: no fsync, and room for the indexes' random inserts in memory.
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -400000")
    inserted = org.insert(orgs_have, orgs_need)
    for rows in (user, membership, key, token, drf):
        inserted += rows.insert(have, target)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("RESET session_replication_role")
        cursor.execute("ANALYZE")
    return {
        "filler_keys": max(have, target),
        "rows_inserted": inserted,
        "seconds": round(time.perf_counter() - started, 1),
    }


def create_bench_identities() -> dict[str, str]:
    """Make the one organization, user and key of each kind the bench sends; return plaintexts.

    They go through the same code as real ones. The Keyportal key gets a huge per-key rate
    limit: the throttles still count every request, but never refuse the bench.
    """
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey as DrfKey

    from apikeys import services
    from organizations.models import Membership, Organization, Role, User

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
    _, drf_raw = DrfKey.objects.create_key(name="bench")
    return {"apikey": raw, "token": Token.objects.create(user=user).key, "drf": drf_raw}


def main() -> None:
    """Read `{"keys": N, "migrate": bool, "identities": bool}` on stdin; report on stdout."""
    config = json.load(sys.stdin)
    django.setup()
    from django.core.management import call_command

    result: dict[str, Any] = {}
    if config.get("migrate"):
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        result["migrate_seconds"] = round(time.perf_counter() - started, 1)
    result.update(top_up(config["keys"]))
    if config.get("identities"):
        result["credentials"] = create_bench_identities()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
