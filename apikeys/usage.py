"""Count each key's requests per hour (accepted, refused, rate-limited) and keep them.

The counting rides on I/O requests already do, so the hot path keeps its budget (one SQL
statement, one cache call, no write within the last-used interval):

- **total**: the key's hour rate-limit window counter (`APIKeyRateThrottle`) already counts
  every request made with a genuine key, accepted or not. It is kept `COUNTS_TTL` seconds
  instead of one hour, so a finished hour can still be read.
- **refused** (revoked, paused, expired, creator gone) and **limited** (429) each add one
  cache call on their own failure path: never on an accepted request.
- **accepted** is what is left: total - refused - limited.

The database gets the counts at most once per `APIKEYS_LAST_USED_INTERVAL` per key, in one
statement: the request that writes `last_used_at` (and the first refused request of each
interval) reads the key's counters for this hour and the ones before (one `get_many`) and
upserts the hour rows. Counters are absolute, so a row only ever grows (`GREATEST`): two
writers, or a writer with an older snapshot, can never lower a count. `usage_sweep` (run by
`send_key_notices`) stores what arrived after a key's last write, before its counters
expire, and rolls hours older than `APIKEYS_USAGE_HOURS_KEPT_DAYS` into days.

When the cache is down nothing is counted (the rate limits' policy decides the request);
what was stored stays. Without a key throttle on a view (`APIKeyRateThrottle`), there is
no count to ride on, so that view's requests are not counted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Count, Q, Sum
from redis.exceptions import RedisError

from apikeys.models import APIKey, KeyUsage, UsagePeriod
from core.counters import CountersUnavailable, count_hits, warn_unavailable, window_key

logger = logging.getLogger(__name__)

HOUR = 3600
# A key's hour counters live this long from their first hit: at least two hours past the end
# of their hour, for the sweep (every few minutes) and the pages (which read them live).
COUNTS_TTL = 3 * HOUR + 1
# The hours whose counters may still be alive: this one and the two before.
LIVE_HOURS = 3


def counter_ident(digest: str) -> str:
    """Name a key's counters by a fragment of its HMAC digest, which only its holder has."""
    return digest[:24]


def hour_number(moment: datetime | float) -> int:
    """The number of the UTC hour `moment` falls in (seconds since the epoch // 3600)."""
    seconds = moment.timestamp() if isinstance(moment, datetime) else moment
    return int(seconds // HOUR)


def hour_start(number: int) -> datetime:
    return datetime.fromtimestamp(number * HOUR, tz=UTC)


def counter_names(ident: str, hour: int) -> tuple[str, str, str]:
    """The cache keys of one key's total, refused and limited counts for one hour."""
    return (
        window_key("key", ident, HOUR, hour),  # the rate limits' own hour window
        f"usage:{ident}:{hour}:refused",
        f"usage:{ident}:{hour}:limited",
    )


def count_refused(ident: str, now: float) -> bool:
    """Count one refused request of a genuine key; say whether its counts are due a write.

    The due flag is a counter of its own per `APIKEYS_LAST_USED_INTERVAL`, counted in the
    same cache call: the first refusal of each interval writes, the others don't.
    """
    interval = max(settings.APIKEYS_LAST_USED_INTERVAL, 1)
    counters = [
        (counter_names(ident, hour_number(now))[1], COUNTS_TTL),
        (f"usage:{ident}:flush:{int(now // interval)}", interval + 1),
    ]
    try:
        _, flushes = count_hits(counters)
    except CountersUnavailable as error:
        warn_unavailable(error, "usage counts (refused)")
        return False
    return flushes == 1


def count_limited(ident: str, now: float) -> None:
    """Count one request of the key answered 429 by its rate limits."""
    try:
        count_hits([(counter_names(ident, hour_number(now))[2], COUNTS_TTL)])
    except CountersUnavailable as error:
        warn_unavailable(error, "usage counts (rate-limited)")


def live_counts(
    idents: Iterable[str], hours: Sequence[int]
) -> dict[tuple[str, int], tuple[int, int, int]]:
    """Read `(accepted, refused, limited)` per `(ident, hour)` from the counters: one call.

    A pair with no counter is left out. An unreachable cache reads as nothing counted.
    """
    names = {(ident, hour): counter_names(ident, hour) for ident in set(idents) for hour in hours}
    try:
        values = caches["default"].get_many([n for trio in names.values() for n in trio])
    except (RedisError, OSError) as error:
        warn_unavailable(error, "usage counts (reading)")
        return {}
    found = {}
    for pair, (total_name, refused_name, limited_name) in names.items():
        total = int(values.get(total_name) or 0)
        refused = int(values.get(refused_name) or 0)
        limited = int(values.get(limited_name) or 0)
        if total or refused or limited:
            # A refusal or a 429 is counted after the total, so a read between the two
            # could see it without its total: accepted never goes below zero.
            found[pair] = (max(total - refused - limited, 0), refused, limited)
    return found


def usage_flush(keys: Sequence[APIKey], now: datetime) -> int:
    """Store the live counts of `keys` (this hour and those before): one statement.

    Return how many hour rows were written.
    """
    by_ident = {counter_ident(key.hashed_key): key for key in keys}
    current = hour_number(now)
    counts = live_counts(by_ident, range(current - LIVE_HOURS + 1, current + 1))
    rows = [
        KeyUsage(
            api_key_id=by_ident[ident].pk,
            period=UsagePeriod.HOUR,
            starts_at=hour_start(hour),
            accepted=accepted,
            refused=refused,
            limited=limited,
        )
        for (ident, hour), (accepted, refused, limited) in counts.items()
    ]
    upsert(rows, combine="greatest")
    return len(rows)


def flush_quietly(key: APIKey, now: datetime) -> None:
    """Store `key`'s counts from a request: a failure is logged, never the request's."""
    connection = connections[router.db_for_write(KeyUsage)]
    try:
        if connection.in_atomic_block:
            # Inside the request's transaction (ATOMIC_REQUESTS, an atomic view): a
            # savepoint, so a failed upsert leaves that transaction usable.
            with transaction.atomic(using=connection.alias):
                usage_flush([key], now)
        else:
            usage_flush([key], now)
    except DatabaseError as error:
        logger.warning("usage counts of key %s not stored: %s", key.prefix, error)


_COMBINE = {
    # A stored hour only grows: counters are absolute, and a late snapshot is a smaller one.
    "greatest": {
        "postgresql": "GREATEST({t}.{c}, EXCLUDED.{c})",
        "sqlite": "MAX({t}.{c}, excluded.{c})",
    },
    # A day takes the hours rolled into it, once each (the roll-up deletes them).
    "add": {"postgresql": "{t}.{c} + EXCLUDED.{c}", "sqlite": "{t}.{c} + excluded.{c}"},
}
_COUNTED = ("accepted", "refused", "limited")


def upsert(rows: Sequence[KeyUsage], *, combine: str) -> None:
    """Insert usage rows, or combine them with the stored row of the same key and period.

    Django's `bulk_create(update_conflicts=True)` can only overwrite, which would let an
    older snapshot lower a count; this is the same `INSERT ... ON CONFLICT`, combining.
    """
    for start in range(0, len(rows), UPSERT_ROWS):
        _upsert(rows[start : start + UPSERT_ROWS], combine)


# Rows per statement: six parameters each, well under SQLite's 32,766.
UPSERT_ROWS = 1000


def _upsert(rows: Sequence[KeyUsage], combine: str) -> None:
    if not rows:
        return
    alias = router.db_for_write(KeyUsage)
    connection = connections[alias]
    expressions = _COMBINE[combine].get(connection.vendor)
    if expressions is None:
        raise NotImplementedError(f"usage upsert on {connection.vendor}")
    quote = connection.ops.quote_name
    meta = KeyUsage._meta
    table = quote(meta.db_table)
    fields = [meta.get_field(name) for name in ("api_key", "period", "starts_at", *_COUNTED)]
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(f.column) for f in fields[:3])
    updates = ", ".join(
        f"{quote(f.column)} = {expressions.format(t=table, c=quote(f.column))}" for f in fields[3:]
    )
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    params = [
        field.get_db_prep_save(getattr(row, field.attname), connection)
        for row in rows
        for field in fields
    ]
    # Names come from the model and are quoted by the backend; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {placeholders} "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def usage_sweep(now: datetime, *, batch: int = 500) -> int:
    """Store the counts of every key used in the last hours; return the rows written.

    A key's counts reach the database with its requests, once per interval: what came after
    its last write (the tail of a burst, a key gone quiet) waits in its counters, which this
    stores before they expire. Safe to run at any time, by any number of processes.
    """
    since = hour_start(hour_number(now) - LIVE_HOURS)
    recent = (
        APIKey.objects.filter(
            Q(last_used_at__gte=since)
            | Q(usage__period=UsagePeriod.HOUR, usage__starts_at__gte=since)
        )
        .distinct()
        .only("pk", "hashed_key", "prefix")
        .order_by("pk")
    )
    written = 0
    keys = list(recent)
    for start in range(0, len(keys), batch):
        written += usage_flush(keys[start : start + batch], now)
    return written


def usage_roll_up(now: datetime) -> int:
    """Roll hour rows older than `APIKEYS_USAGE_HOURS_KEPT_DAYS` into day rows; return days.

    Each day is summed, added to its day row and its hours deleted in one transaction; if
    another run deleted some of them first, this one rolls back, so no hour counts twice.
    """
    keep_days = settings.APIKEYS_USAGE_HOURS_KEPT_DAYS
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    old = KeyUsage.objects.filter(
        period=UsagePeriod.HOUR, starts_at__lt=today - timedelta(days=keep_days)
    )
    rolled = 0
    for day in old.datetimes("starts_at", "day", tzinfo=UTC):
        try:
            rolled += _roll_up_day(day)
        except _RolledElsewhere:
            logger.info("usage of %s was rolled up by another run", day.date())
    return rolled


class _RolledElsewhere(Exception):
    pass


@transaction.atomic
def _roll_up_day(start: datetime) -> int:
    hours = KeyUsage.objects.filter(
        period=UsagePeriod.HOUR, starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
    )
    sums = list(
        hours.order_by()
        .values("api_key_id")
        .annotate(a=Sum("accepted"), r=Sum("refused"), l=Sum("limited"), n=Count("pk"))
        .values_list("api_key_id", "a", "r", "l", "n")
    )
    upsert(
        [
            KeyUsage(
                api_key_id=key_id,
                period=UsagePeriod.DAY,
                starts_at=start,
                accepted=a,
                refused=r,
                limited=limited,
            )
            for key_id, a, r, limited, _ in sums
        ],
        combine="add",
    )
    # Hours this old are never written again: what is gone now was rolled by another run.
    deleted, _ = hours.delete()
    if deleted != sum(n for *_, n in sums):
        raise _RolledElsewhere
    return len(sums)
