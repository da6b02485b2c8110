"""Usage per key and hour: every request counted once, as accepted, refused or rate-limited,
stored at most once per interval, kept through quiet spells and rolled up into days."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import services, usage
from apikeys.models import APIKey, KeyUsage, UsagePeriod
from apikeys.usage_selectors import refused_since, usage_daily_totals, usage_series
from core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.downstream")]


def call(raw, **headers):
    return APIClient().get("/records/", headers={"X-API-Key": raw, **headers})


def now_hour(key, now=None):
    """This hour's bucket of the key's usage (read live)."""
    now = now or timezone.now()
    (bucket,) = usage_series(key, granularity="hour", since=now, until=now, now=now)
    return bucket


def stored_hours(key):
    return {
        (row.starts_at, row.accepted, row.refused, row.limited)
        for row in KeyUsage.objects.filter(api_key=key, period=UsagePeriod.HOUR)
    }


def interval_passes(key, settings):
    """Move the key's last write back past the interval: its next request writes again."""
    APIKey.objects.filter(pk=key.pk).update(
        last_used_at=timezone.now() - timedelta(seconds=settings.APIKEYS_LAST_USED_INTERVAL + 1)
    )


def test_accepted_requests_are_counted_and_shown_at_once(make_key):
    key, raw = make_key(scopes=["records:read"])
    assert {call(raw).status_code for _ in range(5)} == {200}
    bucket = now_hour(key)
    assert (bucket.accepted, bucket.refused, bucket.limited) == (5, 0, 0)


def test_a_request_refused_by_the_view_still_counts_as_accepted_by_the_key(make_key):
    # The key authenticated; a missing scope is the endpoint's 403, not the key's refusal.
    key, raw = make_key(scopes=[])
    assert call(raw).status_code == 403
    assert now_hour(key).accepted == 1


@pytest.mark.parametrize("change", ["revoke", "pause"])
def test_requests_with_a_stopped_key_count_as_refused(make_key, owner, change):
    key, raw = make_key(scopes=["records:read"])
    assert call(raw).status_code == 200
    getattr(services, f"api_key_{change}")(key=key, actor=owner, acting_key=None)
    assert [call(raw).status_code for _ in range(3)] == [401] * 3
    bucket = now_hour(key)
    assert (bucket.accepted, bucket.refused, bucket.limited) == (1, 3, 0)


def test_requests_with_an_expired_key_count_as_refused(make_key):
    key, raw = make_key(scopes=["records:read"])
    APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert [call(raw).status_code for _ in range(2)] == [401, 401]
    assert (now_hour(key).accepted, now_hour(key).refused) == (0, 2)


def test_rate_limited_requests_are_counted_apart(make_key, settings):
    settings.APIKEYS_RATE_PER_MINUTE = 2
    key, raw = make_key(scopes=["records:read"])
    assert [call(raw).status_code for _ in range(5)] == [200, 200, 429, 429, 429]
    bucket = now_hour(key)
    assert (bucket.accepted, bucket.refused, bucket.limited) == (2, 0, 3)


def test_unknown_and_malformed_keys_count_for_no_key(make_key):
    key, raw = make_key(scopes=["records:read"])
    forged = raw[:-6] + ("A" if raw[-6] != "A" else "B") + raw[-5:]
    call(forged)
    call("kp_live_nonsense")
    assert now_hour(key).total == 0


def test_the_first_request_stores_its_count_and_later_ones_wait_for_the_interval(
    make_key, settings
):
    key, raw = make_key(scopes=["records:read"])
    call(raw)
    hour = usage.hour_start(usage.hour_number(timezone.now()))
    assert stored_hours(key) == {(hour, 1, 0, 0)}
    call(raw)
    call(raw)
    assert stored_hours(key) == {(hour, 1, 0, 0)}  # within the interval: nothing written
    interval_passes(key, settings)
    call(raw)
    assert stored_hours(key) == {(hour, 4, 0, 0)}


def test_a_refused_key_stores_its_counts_once_per_interval(make_key, owner):
    key, raw = make_key(scopes=["records:read"])
    services.api_key_revoke(key=key, actor=owner, acting_key=None)
    call(raw)
    hour = usage.hour_start(usage.hour_number(timezone.now()))
    assert stored_hours(key) == {(hour, 0, 1, 0)}
    call(raw)
    assert stored_hours(key) == {(hour, 0, 1, 0)}
    assert now_hour(key).refused == 2  # read live meanwhile


def test_where_the_key_was_last_used_from_is_recorded(make_key, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    key, raw = make_key(scopes=["records:read"])
    call(raw, **{"User-Agent": "clinic-sync/2.1 " + "x" * 300, "X-Forwarded-For": "203.0.113.9"})
    key.refresh_from_db()
    assert key.last_used_ip == "203.0.113.9"
    assert key.last_used_user_agent == ("clinic-sync/2.1 " + "x" * 300)[:200]


def test_a_stored_hour_never_goes_down(make_key):
    key, raw = make_key(scopes=["records:read"])
    call(raw)
    hour = usage.hour_start(usage.hour_number(timezone.now()))
    KeyUsage.objects.filter(api_key=key).update(accepted=50)
    usage.usage_flush([key], timezone.now())  # the counters say 1: an older snapshot
    assert stored_hours(key) == {(hour, 50, 0, 0)}


def test_the_sweep_stores_what_came_after_a_keys_last_write_once(make_key):
    key, raw = make_key(scopes=["records:read"])
    for _ in range(4):
        call(raw)
    hour = usage.hour_start(usage.hour_number(timezone.now()))
    assert stored_hours(key) == {(hour, 1, 0, 0)}
    call_command("send_key_notices", stdout=_Sink())
    call_command("send_key_notices", stdout=_Sink())
    assert stored_hours(key) == {(hour, 4, 0, 0)}


def test_the_sweep_finds_a_revoked_key_still_being_tried(make_key, owner):
    key, raw = make_key(scopes=["records:read"])
    services.api_key_revoke(key=key, actor=owner, acting_key=None)
    for _ in range(3):
        call(raw)
    assert usage.usage_sweep(timezone.now()) == 1
    assert {row[2] for row in stored_hours(key)} == {3}


def test_a_cache_restart_loses_only_what_was_not_stored(make_key):
    key, raw = make_key(scopes=["records:read"])
    call(raw)
    cache.clear()
    assert now_hour(key).accepted == 1  # the stored hour stands in for the lost counter


def test_hours_past_the_retention_are_rolled_up_into_days(make_key, settings):
    settings.APIKEYS_USAGE_HOURS_KEPT_DAYS = 90
    key, _ = make_key()
    now = timezone.now()
    old_day = (now - timedelta(days=95)).replace(hour=0, minute=0, second=0, microsecond=0)
    kept_day = (now - timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    for day in (old_day, kept_day):
        for hour, (a, r, limited) in ((3, (10, 1, 0)), (17, (5, 0, 2))):
            KeyUsage.objects.create(
                api_key=key,
                period=UsagePeriod.HOUR,
                starts_at=day + timedelta(hours=hour),
                accepted=a,
                refused=r,
                limited=limited,
            )
    assert usage.usage_roll_up(now) == 1
    assert usage.usage_roll_up(now) == 0  # nothing left to roll: no day counted twice
    day_row = KeyUsage.objects.get(api_key=key, period=UsagePeriod.DAY)
    assert (day_row.starts_at, day_row.accepted, day_row.refused, day_row.limited) == (
        old_day,
        15,
        1,
        2,
    )
    assert KeyUsage.objects.filter(api_key=key, period=UsagePeriod.HOUR).count() == 2
    days = usage_series(key, granularity="day", since=old_day, until=now, now=now)
    by_start = {b.start: b.total for b in days}
    assert by_start[old_day] == 18 and by_start[kept_day] == 18
    assert sum(by_start.values()) == 36


def test_a_day_whose_hours_vanish_under_it_is_rolled_back_not_added(make_key, monkeypatch):
    key, _ = make_key()
    now = timezone.now()
    day = (now - timedelta(days=100)).replace(hour=0, minute=0, second=0, microsecond=0)
    hours = [
        KeyUsage.objects.create(
            api_key=key, period=UsagePeriod.HOUR, starts_at=day + timedelta(hours=h), accepted=1
        )
        for h in (1, 2)
    ]
    real_upsert = usage.upsert

    def another_run_deletes_one(rows, *, combine):
        # Another run, between this one's read and its delete, rolled an hour up.
        KeyUsage.objects.filter(pk=hours[0].pk).delete()
        real_upsert(rows, combine=combine)

    monkeypatch.setattr(usage, "upsert", another_run_deletes_one)
    assert usage.usage_roll_up(now) == 0
    # This run's day total (2) was rolled back with its deletes: nothing counted twice.
    assert not KeyUsage.objects.filter(api_key=key, period=UsagePeriod.DAY).exists()
    monkeypatch.setattr(usage, "upsert", real_upsert)
    assert usage.usage_roll_up(now) == 1
    assert KeyUsage.objects.get(api_key=key, period=UsagePeriod.DAY).accepted == 2


def test_daily_totals_cover_the_last_days_per_key(make_key):
    key, raw = make_key(scopes=["records:read"])
    other, _ = make_key(scopes=["records:read"], name="Idle")
    now = timezone.now()
    KeyUsage.objects.create(
        api_key=key,
        period=UsagePeriod.HOUR,
        starts_at=(now - timedelta(days=2)).replace(minute=0, second=0, microsecond=0),
        accepted=7,
    )
    call(raw)
    totals = usage_daily_totals([key, other], days=14, now=now)
    assert len(totals[key.pk]) == 14 and totals[key.pk][-1] == 1 and totals[key.pk][-3] == 7
    assert totals[other.pk] == [0] * 14


def test_a_revoked_key_still_tried_is_counted_from_its_revocation(make_key, owner):
    key, raw = make_key(scopes=["records:read"])
    assert refused_since(key, now=timezone.now()) is None
    services.api_key_revoke(key=key, actor=owner, acting_key=None)
    earlier = usage.hour_start(usage.hour_number(timezone.now()) - 30)
    KeyUsage.objects.create(api_key=key, period=UsagePeriod.HOUR, starts_at=earlier, refused=9)
    for _ in range(3):
        call(raw)
    key.refresh_from_db()
    status, tried = refused_since(key, now=timezone.now())
    assert (status, tried) == ("revoked", 3)  # the 9 were before it was revoked


def test_no_audit_event_is_written_for_counting(make_key):
    _, raw = make_key(scopes=["records:read"])
    before = AuditEvent.objects.count()
    call(raw)
    assert AuditEvent.objects.count() == before


def test_hours_are_utc_hours(make_key):
    key, _ = make_key()
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # a DST change in Europe
    (bucket,) = usage_series(key, granularity="hour", since=moment, until=moment, now=moment)
    assert bucket.start == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


class _Sink:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def test_many_keys_are_stored_in_batches_of_rows(make_key, monkeypatch):
    monkeypatch.setattr(usage, "UPSERT_ROWS", 2)  # SQLite caps a statement's parameters
    now = timezone.now()
    day = (now - timedelta(days=120)).replace(hour=0, minute=0, second=0, microsecond=0)
    keys = [make_key(name=f"Sync {n}")[0] for n in range(5)]
    for n, key in enumerate(keys):
        for hour in (1, 2):
            KeyUsage.objects.create(
                api_key=key,
                period=UsagePeriod.HOUR,
                starts_at=day + timedelta(hours=hour),
                accepted=n,
            )
    assert usage.usage_roll_up(now) == 5
    days = KeyUsage.objects.filter(period=UsagePeriod.DAY).order_by("accepted")
    assert [row.accepted for row in days] == [0, 2, 4, 6, 8]


def test_a_failed_usage_write_inside_a_transaction_leaves_it_usable(make_key, monkeypatch):
    from django.db import transaction

    key, _ = make_key()
    broken = {"greatest": {v: "no_such_function({t}.{c})" for v in ("postgresql", "sqlite")}}
    monkeypatch.setattr(usage, "_COMBINE", broken)
    KeyUsage.objects.create(
        api_key=key,
        period=UsagePeriod.HOUR,
        starts_at=usage.hour_start(usage.hour_number(timezone.now())),
    )
    cache.set(
        usage.counter_names(usage.counter_ident(key.hashed_key), usage.hour_number(timezone.now()))[
            0
        ],
        3,
    )
    with transaction.atomic():
        usage.flush_quietly(key, timezone.now())  # the upsert fails: logged, not raised
        assert APIKey.objects.filter(pk=key.pk).exists()  # the transaction still works
