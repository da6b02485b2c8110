"""Forged keys: well-formed keys that match no issued key are limited per client address.

The checksum is public, so anyone can mint well-formed keys that each cost a lookup. Past
`APIKEYS_UNKNOWN_KEYS_PER_IP_PER_MINUTE` an address is refused with a 429 before any I/O,
whatever key it sends, so the refusal tells nothing about which prefixes exist.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apikeys import conf, keys
from apikeys.throttling import TOO_MANY_UNKNOWN_KEYS, UNKNOWN_KEYS, APIKeyRateThrottle
from benchmarks.costs import counting

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.downstream")]

LIMIT = 3
START = 1_800_000_000.0  # a minute boundary: every window below starts here


@pytest.fixture(autouse=True)
def limit(settings, monkeypatch):
    settings.APIKEYS_UNKNOWN_KEYS_PER_IP_PER_MINUTE = LIMIT
    monkeypatch.setattr(APIKeyRateThrottle, "timer", staticmethod(lambda: clock[0]))
    clock[0] = START


clock = [START]


def forged() -> str:
    """A well-formed key with a valid checksum that nobody issued."""
    raw, _ = keys.generate(conf.brand(), "live")
    return raw


def call(raw: str, ip: str = "203.0.113.7"):
    return APIClient().get("/records/", headers={"X-API-Key": raw}, REMOTE_ADDR=ip)


def test_unknown_keys_past_the_limit_get_429_with_retry_after():
    assert [call(forged()).status_code for _ in range(LIMIT)] == [401] * LIMIT
    clock[0] = START + 15
    refused = call(forged())
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(TOO_MANY_UNKNOWN_KEYS)
    assert refused["Retry-After"] == "45"


def test_a_refused_address_costs_no_query_and_no_cache_call():
    for _ in range(LIMIT + 1):
        call(forged())
    with counting() as cost:
        assert call(forged()).status_code == 429
    assert (cost.queries, cost.cache_calls) == (0, 0)


def test_the_refusal_is_the_same_for_a_genuine_key_so_it_reveals_no_prefix(make_key):
    _, genuine = make_key(scopes=["records:read"])
    for _ in range(LIMIT + 1):
        call(forged())
    unknown, real = call(forged()), call(genuine)
    assert (unknown.status_code, real.status_code) == (429, 429)
    assert unknown.json() == real.json()
    assert unknown["Retry-After"] == real["Retry-After"]


def test_other_addresses_are_not_affected(make_key):
    _, genuine = make_key(scopes=["records:read"])
    for _ in range(LIMIT + 1):
        call(forged(), ip="203.0.113.7")
    assert call(forged(), ip="198.51.100.2").status_code == 401
    assert call(genuine, ip="198.51.100.2").status_code == 200


def test_the_address_is_served_again_in_the_next_window(make_key):
    _, genuine = make_key(scopes=["records:read"])
    for _ in range(LIMIT + 1):
        call(forged())
    assert call(genuine).status_code == 429
    clock[0] = START + 60
    assert call(genuine).status_code == 200
    assert not UNKNOWN_KEYS.blocked


def test_genuine_but_refused_keys_do_not_count_as_unknown(make_key):
    from apikeys import services

    key, raw = make_key(scopes=["records:read"])
    services.api_key_revoke(key=key, actor=key.created_by, acting_key=None)
    statuses = [call(raw).status_code for _ in range(LIMIT + 2)]
    assert statuses == [401] * (LIMIT + 2)


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(settings, make_key):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    _, genuine = make_key(scopes=["records:read"])

    def via_proxy(raw, client):
        return APIClient().get(
            "/records/",
            headers={"X-API-Key": raw, "X-Forwarded-For": client},
            REMOTE_ADDR="10.0.0.1",
        )

    for _ in range(LIMIT + 1):
        via_proxy(forged(), "203.0.113.7")
    assert via_proxy(forged(), "203.0.113.7").status_code == 429
    # Another client behind the same proxy keeps working.
    assert via_proxy(genuine, "198.51.100.2").status_code == 200


def test_a_limit_of_zero_turns_it_off(settings):
    settings.APIKEYS_UNKNOWN_KEYS_PER_IP_PER_MINUTE = 0
    assert {call(forged()).status_code for _ in range(LIMIT * 3)} == {401}


def test_the_processes_memory_of_refused_addresses_is_bounded(monkeypatch):
    monkeypatch.setattr(UNKNOWN_KEYS, "most_remembered", 10)
    for n in range(25):
        UNKNOWN_KEYS.block(f"192.0.2.{n}", START + 60)
    assert len(UNKNOWN_KEYS.blocked) <= 10
    assert "192.0.2.24" in UNKNOWN_KEYS.blocked
