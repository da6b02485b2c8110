"""Rate limits per key and per user: atomic fixed windows, 429 with Retry-After."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from core.counters import count_hits

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.downstream")]


def call(raw):
    return APIClient().get("/records/", headers={"X-API-Key": raw})


def test_a_key_over_its_minute_limit_gets_429_with_retry_after(make_key, settings):
    settings.APIKEYS_RATE_PER_MINUTE = 3
    _, raw = make_key(scopes=["records:read"])
    assert [call(raw).status_code for _ in range(3)] == [200, 200, 200]
    response = call(raw)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Request was throttled.")


def test_the_hour_window_counts_too(make_key, settings):
    settings.APIKEYS_RATE_PER_MINUTE = 100
    settings.APIKEYS_RATE_PER_HOUR = 2
    _, raw = make_key(scopes=["records:read"])
    assert [call(raw).status_code for _ in range(3)] == [200, 200, 429]


def test_a_per_key_limit_overrides_the_default(make_key, settings):
    settings.APIKEYS_RATE_PER_MINUTE = 100
    _, limited = make_key(scopes=["records:read"], rate_limit_per_minute=1)
    _, regular = make_key(scopes=["records:read"])
    assert [call(limited).status_code for _ in range(2)] == [200, 429]
    assert [call(regular).status_code for _ in range(2)] == [200, 200]


def test_each_key_has_its_own_budget(make_key, settings):
    settings.APIKEYS_RATE_PER_MINUTE = 1
    _, first = make_key(scopes=["records:read"])
    _, second = make_key(scopes=["records:read"])
    assert (call(first).status_code, call(second).status_code) == (200, 200)
    assert call(first).status_code == 429


def test_session_requests_are_limited_per_user(owner, settings):
    from django.urls import path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    settings.APIKEYS_USER_RATE_PER_MINUTE = 2

    class Me(APIView):
        def get(self, request):
            return Response({"email": request.user.email})

    from django.test import override_settings

    urlconf = type("U", (), {"urlpatterns": [path("me/", Me.as_view())]})
    with override_settings(ROOT_URLCONF=urlconf):
        client = APIClient()
        client.force_login(owner)
        assert [client.get("/me/").status_code for _ in range(3)] == [200, 200, 429]


def test_counters_are_exact_when_requests_race():
    # Many threads hit one counter at once: every increment is counted, none lost.
    def hit(_):
        return count_hits([("race-window", 60), ("race-window-hour", 3600)])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(hit, range(200)))
    minute_counts = sorted(r[0] for r in results)
    assert minute_counts == list(range(1, 201))
    assert cache.get("race-window") == 200


def test_a_known_prefix_with_a_wrong_secret_cannot_spend_the_keys_budget(make_key, settings):
    # The prefix is public (it is listed everywhere); the counters are named by the HMAC of
    # the whole key, so forged keys with the right prefix and checksum count elsewhere.
    from apikeys import keys

    settings.APIKEYS_RATE_PER_MINUTE = 2
    _, raw = make_key(scopes=["records:read"])
    body = raw[len("kp_live_") : -6]
    for n in range(5):
        forged_head = f"kp_live_{body[:8]}{n:0>35}"
        assert call(forged_head + keys.checksum(forged_head)).status_code == 401
    assert [call(raw).status_code for _ in range(3)] == [200, 200, 429]


def test_the_counts_taken_during_authentication_are_the_ones_the_throttle_uses(
    make_key, settings, monkeypatch
):
    from django.core.cache import caches

    from apikeys import conf, keys, throttling
    from core import counters

    now = 1_800_000_030.0  # mid-minute: every request below falls in the same windows
    monkeypatch.setattr(throttling.WindowedRateThrottle, "timer", staticmethod(lambda: now))
    settings.APIKEYS_RATE_PER_MINUTE = 3
    _, raw = make_key(scopes=["records:read"])
    assert [call(raw).status_code for _ in range(4)] == [200, 200, 200, 429]
    # One counter per window, each counted once per request, the refused one included.
    ident = throttling.counter_ident(keys.digest(raw, conf.pepper()))
    windows = counters.window_counters("key", ident, now, counters.WINDOWS)
    assert [caches["default"].get(name) for name, _ in windows] == [4, 4]


def test_a_limit_of_zero_leaves_its_window_unlimited(make_key, settings):
    settings.APIKEYS_RATE_PER_MINUTE = 0
    settings.APIKEYS_RATE_PER_HOUR = 2
    _, hour_limited = make_key(scopes=["records:read"])
    assert [call(hour_limited).status_code for _ in range(3)] == [200, 200, 429]

    settings.APIKEYS_RATE_PER_HOUR = 0
    _, unlimited = make_key(scopes=["records:read"])
    assert {call(unlimited).status_code for _ in range(5)} == {200}
