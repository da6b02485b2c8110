"""Races on PostgreSQL: concurrent defaults, concurrent rotations, revoke during traffic."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from rest_framework.exceptions import AuthenticationFailed

from apikeys import services
from apikeys.authentication import KEY_REVOKED, APIKeyAuthentication
from apikeys.models import APIKey
from core.errors import Conflict, DomainError
from tests.reliability.conftest import needs_postgres

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def in_thread(fn):
    """Run `fn` on its own database connection, closing it afterwards."""

    def run(*args):
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return run


def test_twenty_threads_setting_different_defaults_leave_exactly_one(make_key, owner, org):
    created = [make_key(name=f"key {n}")[0] for n in range(20)]
    barrier = threading.Barrier(20)

    @in_thread
    def set_default(key):
        barrier.wait()
        services.api_key_set_default(key=key, actor=owner, acting_key=None)

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(set_default, created))
    assert APIKey.objects.filter(organization=org, is_default=True).count() == 1


def test_two_concurrent_rotations_give_one_new_key_and_one_conflict(make_key, owner, org):
    old, _ = make_key()
    barrier = threading.Barrier(2)

    @in_thread
    def rotate(_):
        barrier.wait()
        try:
            return services.api_key_rotate(key=old, actor=owner, acting_key=None)[0]
        except Conflict as error:
            return error

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(rotate, range(2)))
    new_keys = [r for r in results if isinstance(r, APIKey)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(new_keys) == 1 and len(conflicts) == 1
    assert conflicts[0].status_code == 409
    assert APIKey.objects.filter(rotated_from=old).count() == 1


def test_a_revoke_stops_every_request_that_starts_after_it_commits(make_key, owner):
    key, raw = make_key()
    authenticator = APIKeyAuthentication()
    threads = 4
    start = threading.Barrier(threads, timeout=30)  # the traffic starts all at once
    flowing = threading.Barrier(threads + 1, timeout=30)  # each thread was served once
    after_revoke = threading.Barrier(threads + 1, timeout=30)  # each tried after the revoke
    revoked = threading.Event()  # set once the revoke has committed
    stop = threading.Event()
    outcomes = []  # (started after the commit, accepted, detail)

    @in_thread
    def traffic(_):
        start.wait()
        served = tried_after = False
        while not stop.is_set():
            after = revoked.is_set()  # read before the request starts
            try:
                authenticator.authenticate_key(raw)
                outcomes.append((after, True, None))
            except AuthenticationFailed as error:
                outcomes.append((after, False, str(error.detail)))
            if not served:
                served = True
                flowing.wait()
            elif after and not tried_after:
                tried_after = True
                after_revoke.wait()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(traffic, n) for n in range(threads)]
        try:
            flowing.wait()  # every thread had a request served: traffic is flowing
            services.api_key_revoke(key=key, actor=owner, acting_key=None)
            revoked.set()
            after_revoke.wait()  # every thread made a request that started after the commit
        finally:
            stop.set()
        for future in futures:
            future.result()

    before = [o for o in outcomes if not o[0]]
    after = [o for o in outcomes if o[0]]
    assert len(after) >= threads
    assert any(accepted for _, accepted, _ in before)
    assert all(not accepted and detail == KEY_REVOKED for _, accepted, detail in after)


def test_every_lifecycle_action_racing_on_the_same_keys_never_deadlocks(make_key, owner, org):
    keys = [make_key(name=f"racer {n}")[0] for n in range(4)]
    actions = [
        lambda key: services.api_key_set_default(key=key, actor=owner, acting_key=None),
        lambda key: services.api_key_pause(key=key, actor=owner, acting_key=None),
        lambda key: services.api_key_resume(key=key, actor=owner, acting_key=None),
        lambda key: services.api_key_rename(key=key, actor=owner, acting_key=None, name="x"),
        lambda key: services.api_key_rotate(key=key, actor=owner, acting_key=None),
        lambda key: services.api_key_remove_default(key=key, actor=owner, acting_key=None),
        lambda key: services.api_key_revoke(key=key, actor=owner, acting_key=None),
    ]
    jobs = list(enumerate((a, k) for _ in range(3) for k in keys for a in actions))
    barrier = threading.Barrier(8)
    failures = []

    @in_thread
    def run(job):
        n, (action, key) = job
        if n < 8:
            barrier.wait()  # the first wave starts together; the rest follow as threads free
        try:
            action(key)
        except DomainError:
            pass  # a refused transition (already revoked, not paused, ...) is an answer
        except Exception as error:
            failures.append(repr(error))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(run, jobs))

    assert failures == []
    assert APIKey.objects.filter(organization=org, is_default=True).count() <= 1
