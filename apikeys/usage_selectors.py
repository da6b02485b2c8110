"""Read keys' usage: stored hours and days, with the live counters of the last hours.

The database holds each key's hours as of its last write (at most one interval old while
the key is busy; `usage_sweep` catches up after it goes quiet). The last `LIVE_HOURS` are
also read from the counters (one `get_many` for any number of keys), so pages and the API
show requests made a second ago; a stored count and a live one of the same hour are both
absolute, and the larger wins. Periods are UTC hours and UTC days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID

from django.db.models import Q, Sum
from django.db.models.functions import TruncDay

from apikeys.models import APIKey, EffectiveStatus, KeyUsage, UsagePeriod
from apikeys.usage import LIVE_HOURS, counter_ident, hour_number, hour_start, live_counts
from apikeys.usage_buckets import UsageBucket

Granularity = Literal["hour", "day"]
STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
Counts = dict[UUID, dict[datetime, list[int]]]  # key id -> period start -> [a, r, l]


def period_start(moment: datetime, granularity: Granularity) -> datetime:
    """The start of the UTC hour or day `moment` falls in."""
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if granularity == "day" else moment


def _live_hours(
    keys: Sequence[APIKey], start: datetime, stop: datetime, now: datetime
) -> dict[UUID, dict[datetime, list[int]]]:
    """The last `LIVE_HOURS` hours within [start, stop): stored rows merged with counters."""
    current = hour_number(now)
    hours = [
        h for h in range(current - LIVE_HOURS + 1, current + 1) if start <= hour_start(h) < stop
    ]
    found: Counts = defaultdict(dict)
    if not hours:
        return found
    for key_id, starts_at, *counts in KeyUsage.objects.filter(
        api_key__in=keys,
        period=UsagePeriod.HOUR,
        starts_at__gte=hour_start(hours[0]),
        starts_at__lte=hour_start(hours[-1]),
    ).values_list("api_key_id", "starts_at", "accepted", "refused", "limited"):
        found[key_id][starts_at.astimezone(UTC)] = counts
    by_ident = {counter_ident(key.hashed_key): key.pk for key in keys}
    for (ident, hour), live in live_counts(by_ident, hours).items():
        stored = found[by_ident[ident]].setdefault(hour_start(hour), [0, 0, 0])
        stored[:] = [max(a, b) for a, b in zip(stored, live, strict=True)]
    return found


def usage_counts(
    keys: Sequence[APIKey],
    *,
    granularity: Granularity,
    start: datetime,
    stop: datetime,
    now: datetime,
) -> Counts:
    """Each key's `[accepted, refused, limited]` per period starting in [start, stop).

    Three reads at most, whatever the number of keys: stored periods before the live hours
    (summed by day in the database when asked by day), their live hours, and the counters.
    """
    live_from = hour_start(hour_number(now) - LIVE_HOURS + 1)
    counts: Counts = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    stored = KeyUsage.objects.filter(api_key__in=keys, starts_at__gte=start, starts_at__lt=stop)
    if granularity == "hour":
        stored = stored.filter(period=UsagePeriod.HOUR, starts_at__lt=live_from)
        rows = stored.values_list("api_key_id", "starts_at", "accepted", "refused", "limited")
    else:
        # Rolled-up days, and the hours kept as hours, summed per UTC day by the database.
        stored = stored.filter(
            Q(period=UsagePeriod.DAY) | Q(period=UsagePeriod.HOUR, starts_at__lt=live_from)
        )
        rows = (
            stored.annotate(day=TruncDay("starts_at", tzinfo=UTC))
            .values("api_key_id", "day")
            .order_by()
            .annotate(a=Sum("accepted"), r=Sum("refused"), l=Sum("limited"))
            .values_list("api_key_id", "day", "a", "r", "l")
        )
    for key_id, starts_at, *values in rows:
        _add(counts[key_id][period_start(starts_at, granularity)], values)
    for key_id, hours in _live_hours(keys, start, stop, now).items():
        for hour, values in hours.items():
            _add(counts[key_id][period_start(hour, granularity)], values)
    return counts


def _add(total: list[int], values: Sequence[int]) -> None:
    for i, value in enumerate(values):
        total[i] += value or 0


def usage_series(
    key: APIKey,
    *,
    granularity: Granularity,
    since: datetime,
    until: datetime,
    now: datetime,
) -> list[UsageBucket]:
    """The key's usage per period from `since` to `until`, one bucket per period (zeros too)."""
    step = STEP[granularity]
    start, stop = period_start(since, granularity), period_start(until, granularity) + step
    counts = usage_counts([key], granularity=granularity, start=start, stop=stop, now=now)
    periods = counts.get(key.pk, {})
    buckets, moment = [], start
    while moment < stop:
        accepted, refused, limited = periods.get(moment, (0, 0, 0))
        buckets.append(UsageBucket(moment, accepted, refused, limited))
        moment += step
    return buckets


def usage_daily_totals(
    keys: Sequence[APIKey], *, days: int, now: datetime
) -> dict[UUID, list[int]]:
    """Each key's total requests per UTC day, for the last `days` days (oldest first)."""
    stop = period_start(now, "day") + STEP["day"]
    start = stop - timedelta(days=days)
    counts = usage_counts(keys, granularity="day", start=start, stop=stop, now=now)
    starts = [start + timedelta(days=n) for n in range(days)]
    return {
        key.pk: [sum(counts.get(key.pk, {}).get(day, (0, 0, 0))) for day in starts] for key in keys
    }


def refused_since(key: APIKey, *, now: datetime) -> tuple[EffectiveStatus, int] | None:
    """How often a revoked, paused or expired key was tried since it stopped working.

    Counted from the hour it stopped in (from the day, once those hours are rolled up);
    None for a key that works, or stopped at a moment not recorded.
    """
    status = key.effective_status(now)
    since = {
        EffectiveStatus.REVOKED: key.revoked_at,
        EffectiveStatus.PAUSED: key.paused_at,
        EffectiveStatus.EXPIRED: key.expires_at,
    }.get(status)
    if since is None:
        return None
    live_from = hour_start(hour_number(now) - LIVE_HOURS + 1)
    stored = KeyUsage.objects.filter(api_key=key).filter(
        Q(period=UsagePeriod.HOUR, starts_at__gte=period_start(since, "hour"))
        & Q(starts_at__lt=live_from)
        | Q(period=UsagePeriod.DAY, starts_at__gte=period_start(since, "day"))
    )
    refused = stored.aggregate(refused=Sum("refused"))["refused"] or 0
    start = max(period_start(since, "hour"), live_from)
    for hours in _live_hours([key], start, now + STEP["hour"], now).values():
        refused += sum(values[1] for values in hours.values())
    return status, refused
