"""What key authentication costs per request, in queries and cache calls, and that its
hand-tuned lookup (apikeys.lookup._CompiledLookup) still agrees with the models.

Counts, not timings: the timings live in benchmarks/ (docs/performance.md).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import ProgrammingError, connection, connections
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from apikeys import authentication as auth
from apikeys import lookup, services, throttling
from apikeys.authentication import APIKeyAuthentication
from apikeys.lookup import api_key_for_authentication
from apikeys.models import APIKey, EffectiveStatus, KeyStatus
from benchmarks.costs import counting
from organizations.models import Membership, Role, User
from organizations.permissions import role_in
from tests.factories import APIKeyFactory, UserFactory


class Downstream(APIView):
    """An integration's endpoint: APIKeyAuthentication with the project's default throttles."""

    authentication_classes = [APIKeyAuthentication]

    def get(self, request):
        return Response({"prefix": request.auth.prefix, "role": request.auth.role})


urlpatterns = [path("downstream/", Downstream.as_view())]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def cost():
    """Measure a block: `with cost() as c: ...` (queries, writes, cache calls; see
    benchmarks/costs.py, the counter the bench reports with)."""
    return counting


@pytest.fixture
def mid_window(monkeypatch):
    """Count every request at one instant in the middle of a minute: a refusal's write flag
    is per wall-clock interval, and two requests straddling its edge would both write."""
    now = (time.time() // 60) * 60 + 30
    monkeypatch.setattr(throttling.WindowedRateThrottle, "timer", staticmethod(lambda: now))


def call(raw: str):
    return APIClient().get("/downstream/", headers={"Authorization": f"Bearer {raw}"})


# Query and cache-call counts -------------------------------------------------------------
#
# Both rate-limit windows take one round trip on Redis (one script); on the local-memory
# cache, one atomic `incr` per window, in process (no round trip at all). A refused genuine
# key's windows count like an accepted key's (on Redis they went out beside the lookup, in
# one overlapped trip), so it costs the same.
WINDOW_CALLS = 1 if isinstance(caches["default"], RedisCache) else 2
# A refused genuine key also counts as refused for its usage, with the flag that elects one
# refusal per interval to store its counts: one more script on Redis, an `incr` each in
# process. Only on that failure path: an accepted request pays nothing for usage.
REFUSED_CALLS = 1 if isinstance(caches["default"], RedisCache) else 2
# Storing a key's usage (once per interval) reads its counters: one `get_many`.
READ_CALLS = 1
# A counter's first hit in process is an `incr` that finds nothing, then an `add`.
FIRST_WINDOW_CALLS = 1 if isinstance(caches["default"], RedisCache) else 4
FIRST_REFUSED_CALLS = FIRST_WINDOW_CALLS


# Run in autocommit, as requests are: inside a transaction (the test's own, by default) the
# usage write takes a savepoint, two statements more (apikeys.usage.flush_quietly).
@pytest.mark.django_db(transaction=True)
def test_a_valid_key_costs_one_query_and_one_write_per_interval(make_key, cost):
    _, raw = make_key()
    with cost() as first:
        assert call(raw).status_code == 200
    # The lookup, then `last_used_at`, then the usage counted so far (this request) in one
    # upsert, read from the counters in one call.
    assert (first.queries, first.writes) == (3, 2)
    assert first.cache_calls == FIRST_WINDOW_CALLS + READ_CALLS
    with cost() as steady:
        assert call(raw).status_code == 200
    assert (steady.queries, steady.writes) == (1, 0)
    assert steady.cache_calls == WINDOW_CALLS


def test_a_429_costs_one_cache_call_more_and_no_query_more(make_key, cost, settings):
    # The 429 path counts itself for the key's usage: one call, on that path only.
    settings.APIKEYS_RATE_PER_MINUTE = 1
    _, raw = make_key()
    assert call(raw).status_code == 200
    assert call(raw).status_code == 429  # the first 429 of the hour starts its counter
    with cost() as limited:
        assert call(raw).status_code == 429
    assert (limited.queries, limited.writes) == (1, 0)
    assert limited.cache_calls == WINDOW_CALLS + 1


def test_many_requests_within_the_interval_never_write(make_key, cost):
    _, raw = make_key()
    call(raw)
    with cost() as ten:
        assert {call(raw).status_code for _ in range(10)} == {200}
    assert (ten.queries, ten.writes) == (10, 0)
    assert ten.cache_calls == 10 * WINDOW_CALLS


# Run in autocommit, as requests are: inside a transaction (the test's own, by default) the
# usage write takes a savepoint, two statements more (apikeys.usage.flush_quietly).
@pytest.mark.django_db(transaction=True)
def test_the_write_comes_back_once_the_interval_has_passed(make_key, cost, settings):
    key, raw = make_key()
    call(raw)
    APIKey.objects.filter(pk=key.pk).update(
        last_used_at=timezone.now() - timedelta(seconds=settings.APIKEYS_LAST_USED_INTERVAL + 1)
    )
    with cost() as later:
        assert call(raw).status_code == 200
    assert (later.queries, later.writes) == (3, 2)


def _bad_checksum(raw: str) -> str:
    return raw[:-1] + ("A" if raw[-1] != "A" else "B")


@pytest.mark.parametrize(
    ("make_value", "message"),
    [
        pytest.param(lambda raw: "not-a-key", auth.INVALID_KEY, id="garbage"),
        pytest.param(lambda raw: raw[:-3], auth.KEY_MISTYPED, id="truncated"),
        pytest.param(lambda raw: raw.replace("kp_", "xx_", 1), auth.INVALID_KEY, id="other-brand"),
        pytest.param(_bad_checksum, auth.KEY_MISTYPED, id="bad-checksum"),
        pytest.param(lambda raw: raw[:20] + "!" + raw[21:], auth.INVALID_KEY, id="bad-character"),
    ],
)
def test_a_malformed_or_mistyped_key_costs_no_query_and_no_cache_call(
    make_key, cost, make_value, message
):
    _, raw = make_key()
    with cost() as refused:
        response = call(make_value(raw))
    assert response.status_code == 401
    assert response.json()["detail"] == message
    assert (refused.queries, refused.cache_calls) == (0, 0)


def test_an_unknown_well_formed_key_leaves_no_key_counter_and_counts_its_address(make_key, cost):
    key, raw = make_key()
    APIKey.objects.filter(pk=key.pk).delete()
    assert call(raw).status_code == 401  # the address's first failure starts its counter
    with cost() as refused:
        assert call(raw).status_code == 401
    assert (refused.queries, refused.writes) == (1, 0)
    if isinstance(caches["default"], RedisCache):
        # The counters went out beside the lookup (one trip); one more trip deletes them and
        # counts the failure against the client's address, in the same script.
        assert refused.cache_calls == 2
        client = caches["default"]._cache.get_client()
        assert not client.keys("*rl:key:*")
        assert len(client.keys("*rl:unknown-key:*")) == 1
    else:
        # Nothing was counted before the lookup; the address's failure is one `incr`.
        assert refused.cache_calls == 1


@pytest.mark.django_db(transaction=True)
def test_the_lookup_survives_a_reconnect_with_one_query(make_key, cost):
    # On PostgreSQL a prepared statement lives on its connection: a new connection starts
    # without it, and the lookup is still one query.
    _, raw = make_key()
    call(raw)
    connection.close()
    with cost() as after_reconnect:
        assert call(raw).status_code == 200
    assert after_reconnect.queries == 1


# The lookup is the request's connection health check ------------------------------------


@pytest.fixture
def reused_connection(monkeypatch):
    """The default connection, with health checks on and `is_usable` (the `SELECT 1`) counted.

    A test sets `health_check_done = False` right before its request: that is what Django's
    `close_old_connections` does when a request starts on a kept connection.
    """
    db = connections["default"]
    db.ensure_connection()
    checks: list[bool] = []
    real_is_usable = db.is_usable

    def counted_is_usable():
        usable = real_is_usable()
        checks.append(usable)
        return usable

    monkeypatch.setattr(db, "health_check_enabled", True)
    monkeypatch.setattr(db, "is_usable", counted_is_usable)
    return db, checks


@pytest.mark.django_db(transaction=True)
def test_a_reused_connection_is_checked_by_the_lookup_itself_not_by_select_1(
    make_key, cost, reused_connection
):
    _, raw = make_key()
    db, checks = reused_connection
    call(raw)  # the first use writes `last_used_at`
    db.health_check_done = False

    with cost() as request:
        assert call(raw).status_code == 200

    assert checks == []  # no separate round trip
    assert db.health_check_done  # and no other query of the request checks again
    assert request.queries == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_statement_on_a_healthy_connection_is_not_retried(
    make_key, reused_connection, monkeypatch
):
    key, _ = make_key()
    db, checks = reused_connection
    compiled = lookup._compiled.get(db.alias) or lookup._CompiledLookup(db.alias)
    lookup._compiled[db.alias] = compiled
    attempts = []

    def failing_fetch(connection, params):
        attempts.append(params)
        raise ProgrammingError("a broken statement")

    monkeypatch.setattr(compiled, "_fetch", failing_fetch)
    db.health_check_done = False

    with pytest.raises(ProgrammingError):
        api_key_for_authentication(key.prefix)
    assert len(attempts) == 1
    assert checks == [True]  # asked once, after the failure: the connection was fine


@pytest.mark.django_db
def test_inside_a_transaction_the_usual_health_check_runs(make_key, reused_connection):
    key, _ = make_key()
    db, checks = reused_connection
    assert db.in_atomic_block  # the test's own transaction
    db.health_check_done = False

    assert api_key_for_authentication(key.prefix).key.pk == key.pk
    assert checks == [True]


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_died_between_requests_is_replaced_without_failing_the_request(
    make_key, cost, reused_connection
):
    db, _ = reused_connection
    if db.vendor != "postgresql":
        pytest.skip("needs a server that can end a connection: runs in CI's PostgreSQL pass")
    _, raw = make_key()
    assert call(raw).status_code == 200
    db.health_check_done = False
    pid = db.connection.info.backend_pid
    admin = connections.create_connection("default")
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):  # ends asynchronously: wait until the server let it go
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.02)
    finally:
        admin.close()

    with cost() as request:
        response = call(raw)

    assert response.status_code == 200
    assert db.connection.info.backend_pid != pid
    assert request.queries == 2  # the failed try on the dead connection, then the lookup


# Nothing is cached: state changes count on the very next request ------------------------


def _revoke(key, owner, org):
    services.api_key_revoke(key=key, actor=owner, acting_key=None)


def _pause(key, owner, org):
    services.api_key_pause(key=key, actor=owner, acting_key=None)


def _remove_creator(key, owner, org):
    # Behind the services' back: member_remove revokes the key too, which "revoke" covers.
    Membership.objects.filter(organization=org, user_id=key.created_by_id).delete()


def _deactivate_creator(key, owner, org):
    User.objects.filter(pk=key.created_by_id).update(is_active=False)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_revoke, auth.KEY_REVOKED),
        (_pause, auth.KEY_PAUSED),
        (_remove_creator, auth.CREATOR_NOT_MEMBER),
        (_deactivate_creator, auth.CREATOR_INACTIVE),
    ],
    ids=["revoke", "pause", "member-removed", "user-deactivated"],
)
def test_a_committed_change_refuses_the_very_next_request_with_one_lookup(
    org, owner, admin, cost, change, message, mid_window
):
    key, raw = services.api_key_create(organization=org, actor=admin, name="Sync", acting_key=None)
    assert call(raw).status_code == 200
    assert call(raw).status_code == 200  # warm: whatever could be cached, would be

    change(key, owner, org)

    with cost() as refused:
        response = call(raw)
    assert response.status_code == 401
    assert response.json()["detail"] == message
    # The lookup, and (the first refusal of the interval) one upsert of the key's usage.
    assert (refused.queries, refused.writes) == (2, 1)
    assert refused.cache_calls == WINDOW_CALLS + FIRST_REFUSED_CALLS + READ_CALLS
    with cost() as again:
        assert call(raw).status_code == 401
    assert (again.queries, again.writes) == (1, 0)
    assert again.cache_calls == WINDOW_CALLS + REFUSED_CALLS


# The hand-tuned lookup against the models ------------------------------------------------


def _concrete_values(instance, exclude=()):
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields
        if f.attname not in exclude
    }


def _assert_lookup_matches_the_orm(prefix: str) -> None:
    found = api_key_for_authentication(prefix)
    loaded = APIKey.objects.select_related("organization", "created_by").get(prefix=prefix)
    with CaptureQueriesContext(connection) as later:
        assert _concrete_values(found.key) == _concrete_values(loaded)
        assert _concrete_values(found.key.organization) == _concrete_values(loaded.organization)
        user_fields = _concrete_values(found.key.created_by, exclude=("password",))
        assert user_fields == _concrete_values(loaded.created_by, exclude=("password",))
        assert found.key.organization_id == found.key.organization.pk
        assert found.key.created_by_id == found.key.created_by.pk
    assert later.captured_queries == [], "the lookup left a field or relation unloaded"
    for built, orm in (
        (found.key, loaded),
        (found.key.organization, loaded.organization),
        (found.key.created_by, loaded.created_by),
    ):
        # Loaded, not new: a save() is an UPDATE on the database it came from.
        assert (built._state.adding, built._state.db) == (False, orm._state.db)
    # Only the password hash stays behind: authentication never needs it.
    assert found.key.created_by.get_deferred_fields() == {"password"}
    membership = Membership.objects.filter(
        user_id=loaded.created_by_id, organization_id=loaded.organization_id
    ).first()
    assert found.membership_role == (membership.role if membership else None)


def test_the_lookup_hydrates_exactly_what_the_orm_loads_with_every_field_set(org, owner):
    now = timezone.now()
    predecessor = APIKeyFactory(organization=org, created_by=owner)
    key = APIKeyFactory(
        organization=org,
        created_by=owner,
        name="Every field",
        mode="test",
        scopes=["records:read", "devices:read"],
        status=KeyStatus.PAUSED,
        expires_at=now + timedelta(days=3),
        last_used_at=now - timedelta(minutes=5),
        paused_at=now - timedelta(minutes=1),
        revoked_by=owner,
        rotated_from=predecessor,
        rotated_at=now - timedelta(hours=1),
        rate_limit_per_minute=7,
        rate_limit_per_hour=70,
    )
    User.objects.filter(pk=owner.pk).update(
        full_name="Ada Owner", last_login=now, is_superuser=True, is_staff=True
    )
    _assert_lookup_matches_the_orm(key.prefix)


def test_the_lookup_hydrates_exactly_what_the_orm_loads_with_every_optional_field_empty(org):
    creator = UserFactory(full_name="")
    key = APIKeyFactory(organization=org, created_by=creator, scopes=[])
    _assert_lookup_matches_the_orm(key.prefix)


def test_the_lookup_honours_init_signal_receivers_like_the_orm(org, owner):
    key = APIKeyFactory(organization=org, created_by=owner)
    seen: list[type] = []

    def receiver(sender, instance, **kwargs):
        seen.append(sender)

    post_init.connect(receiver, sender=APIKey)
    post_init.connect(receiver, sender=User)
    try:
        found = api_key_for_authentication(key.prefix)
    finally:
        post_init.disconnect(receiver, sender=APIKey)
        post_init.disconnect(receiver, sender=User)

    assert sorted(s.__name__ for s in seen) == ["APIKey", "User"]
    assert found.key.pk == key.pk and found.key.created_by.pk == owner.pk
    assert found.key.created_by.get_deferred_fields() == {"password"}


def test_the_lookup_finds_nothing_for_an_unknown_prefix(make_key):
    make_key()
    assert api_key_for_authentication("kp_live_00000000") is None


@pytest.mark.parametrize("role", [*Role.values, None])
@pytest.mark.parametrize("is_staff", [False, True])
def test_the_lookups_role_agrees_with_the_role_rules(org, role, is_staff):
    creator = UserFactory(is_staff=is_staff)
    if role is not None:
        Membership.objects.create(user=creator, organization=org, role=role)
    key = APIKeyFactory(organization=org, created_by=creator)

    response = call(key.raw)

    expected = role_in(creator, org)
    if expected is None:
        assert response.status_code == 401
        assert response.json()["detail"] == auth.CREATOR_NOT_MEMBER
    else:
        assert response.status_code == 200
        assert response.json()["role"] == expected


# Every status a key can be in gets an explicit answer (a new one must be added here).
EXPECTED_OUTCOMES = {
    EffectiveStatus.ACTIVE: 200,
    EffectiveStatus.PAUSED: auth.KEY_PAUSED,
    EffectiveStatus.REVOKED: auth.KEY_REVOKED,
    EffectiveStatus.EXPIRED: auth.KEY_EXPIRED,
}


def test_every_status_is_covered_by_the_outcome_table():
    assert set(EXPECTED_OUTCOMES) == set(EffectiveStatus)


@pytest.mark.parametrize("status", EffectiveStatus.values)
def test_every_status_has_an_explicit_authentication_outcome(org, owner, cost, status, mid_window):
    assert status in EXPECTED_OUTCOMES, f"no authentication outcome decided for {status!r}"
    expired = status == EffectiveStatus.EXPIRED
    stored = KeyStatus.ACTIVE if expired else status
    expires_at = timezone.now() - timedelta(seconds=1) if expired else None
    key = APIKeyFactory(organization=org, created_by=owner, status=stored, expires_at=expires_at)
    assert key.effective_status() == status

    call(key.raw)  # the first use may write `last_used_at`
    with cost() as steady:
        response = call(key.raw)

    expected = EXPECTED_OUTCOMES[status]
    if expected == 200:
        assert response.status_code == 200
        assert steady.cache_calls == WINDOW_CALLS
    else:
        assert response.status_code == 401
        assert response.json()["detail"] == expected
        # A refused genuine key still counts, and counts as refused.
        assert steady.cache_calls == WINDOW_CALLS + REFUSED_CALLS
    assert (steady.queries, steady.writes) == (1, 0)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="prepared statements are PostgreSQL's: runs in CI's PostgreSQL pass",
)
@pytest.mark.django_db(transaction=True)
def test_postgresql_prepares_the_lookup_once_a_connection_has_run_it_a_few_times(make_key):
    key, _ = make_key()
    connection.close()
    for _ in range(6):  # psycopg prepares a statement on its 5th run on a connection
        assert api_key_for_authentication(key.prefix).key.pk == key.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%apikeys_apikey%"],
        )
        assert cursor.fetchone()[0] == 1
