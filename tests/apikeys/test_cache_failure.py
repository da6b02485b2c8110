"""When the cache that counts requests fails: keys and sign-in keep working (or, by choice,
requests get a clear 503); never a 500."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from apikeys.throttling import RATE_LIMITS_UNAVAILABLE, UNAVAILABLE_RETRY_AFTER
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Nothing listens on port 1: every connection is refused at once, as when Redis is down.
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }
}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = DEAD_REDIS  # Django drops its cache handlers when CACHES changes


def with_key(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_by_default_keys_keep_working_uncounted_with_one_warning(make_key, redis_down, caplog):
    _, raw = make_key()
    client = with_key(raw)

    with caplog.at_level(logging.WARNING, logger="core.counters"):
        statuses = [client.get("/api/auth/me/").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    warnings = [r for r in caplog.records if r.name == "core.counters"]
    assert len(warnings) <= 1  # one per minute and process, not one per request


def test_failing_closed_answers_503_with_retry_after(make_key, redis_down, settings):
    settings.APIKEYS_RATE_LIMIT_ON_CACHE_FAILURE = "closed"
    _, raw = make_key()

    response = with_key(raw).get("/api/auth/me/")

    assert response.status_code == 503
    assert response.json() == {"detail": RATE_LIMITS_UNAVAILABLE}
    assert response["Retry-After"] == str(UNAVAILABLE_RETRY_AFTER)


def test_an_unknown_key_is_still_a_plain_401(redis_down):
    response = with_key("kp_live_" + "A" * 43 + "AAAAAA").get("/api/auth/me/")

    assert response.status_code == 401


def test_sign_in_keeps_working_without_the_cache(client, owner, redis_down):
    response = client.post("/accounts/login/", {"username": owner.email, "password": PASSWORD})

    assert response.status_code == 302


def test_the_shipped_redis_settings_time_out_within_a_quarter_second():
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']['OPTIONS']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    options = json.loads(done.stdout)
    assert 0 < options["socket_connect_timeout"] <= 0.25
    assert 0 < options["socket_timeout"] <= 0.25
