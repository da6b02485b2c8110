"""When the cache that counts requests fails: keys and sign-in keep working (or, by choice,
requests get a clear 503); never a 500."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from apikeys.throttling import RATE_LIMITS_UNAVAILABLE, UNAVAILABLE_RETRY_AFTER
from tests.factories import PASSWORD
from tests.helpers import run_python

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
    response = client.post("/accounts/login/", {"login": owner.email, "password": PASSWORD})

    assert response.status_code == 302


def test_the_shipped_redis_settings_time_out_within_a_quarter_second():
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']['OPTIONS']))"
    )
    done = run_python(code, env)

    options = json.loads(done.stdout)
    assert 0 < options["socket_connect_timeout"] <= 0.25
    assert 0 < options["socket_timeout"] <= 0.25


class Forwarder:
    """A TCP relay to the real Redis that the test can cut and restore, on a fixed port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server: socket.socket | None = None
        self.links: list[socket.socket] = []

    def start(self) -> None:
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", self.port))
        self.server.listen()
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and cut every open one, as a stopped Redis would."""
        if self.server is not None:
            with contextlib.suppress(OSError):
                self.server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            self.server.close()
            self.server = None
        for link in self.links:
            with contextlib.suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)
            link.close()
        self.links.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.links += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs a real Redis to cut and restore: runs in CI's PostgreSQL+Redis pass",
)
def test_rate_limits_recover_when_redis_comes_back_without_a_restart(make_key, settings):
    target = urlsplit(os.environ["REDIS_URL"])
    relay = Forwarder((target.hostname, target.port or 6379))
    relay.start()
    settings.CACHES = {
        "default": {
            **DEAD_REDIS["default"],
            "LOCATION": f"redis://127.0.0.1:{relay.port}{target.path or '/0'}",
            "KEY_PREFIX": "recovery-test",
        }
    }
    settings.APIKEYS_RATE_PER_MINUTE = 2
    _, raw = make_key()
    client = with_key(raw)
    try:
        counted = [client.get("/api/auth/me/").status_code for _ in range(3)]
        relay.stop()
        during_outage = [client.get("/api/auth/me/").status_code for _ in range(3)]
        relay.start()
        after = client.get("/api/auth/me/").status_code
    finally:
        relay.stop()

    assert counted == [200, 200, 429]  # counted while Redis answered
    assert during_outage == [200, 200, 200]  # open: served uncounted
    assert after == 429  # counted again, on the same workers' connection pool


# A new key while the cache is down: shown in the creating response, stored nowhere --------


def _sessions_hold(raw: str) -> bool:
    from django.contrib.sessions.models import Session

    return any(raw in json.dumps(s.get_decoded()) for s in Session.objects.all())


def _shown_now(response) -> str:
    import re

    from apikeys.show_once import SHOWN_ONCE

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert SHOWN_ONCE in page
    (raw,) = set(re.findall(r"kp_live_[0-9A-Za-z]{49}", page))
    return raw


def test_a_key_created_while_the_cache_is_down_is_shown_at_once_and_kept_nowhere(
    client, owner, org, redis_down
):
    from django.urls import reverse

    from apikeys.authentication import APIKeyAuthentication

    client.force_login(owner)
    response = client.post(
        reverse("api-key-create", args=[org.pk]),
        {"name": "Lab sync", "mode": "live", "scopes": ["records:read"], "expiry": "never"},
    )
    raw = _shown_now(response)
    assert not _sessions_hold(raw)  # no database row, not even the session's
    assert APIKeyAuthentication().authenticate_key(raw)[1].name == "Lab sync"
    assert raw not in client.get(reverse("api-key-created", args=[org.pk])).content.decode()


def test_a_key_rotated_while_the_cache_is_down_is_shown_at_once_and_kept_nowhere(
    client, owner, org, make_key, redis_down
):
    from django.urls import reverse

    old, _ = make_key(name="Billing")
    client.force_login(owner)
    response = client.post(reverse("api-key-rotate", args=[org.pk, old.pk]), {"grace_period": "0"})
    raw = _shown_now(response)
    assert not _sessions_hold(raw)


def test_a_key_added_in_the_admin_while_the_cache_is_down_is_shown_at_once(
    root_client, org, owner, redis_down
):
    from django.urls import reverse

    response = root_client.post(
        reverse("admin:apikeys_apikey_add"),
        {
            "organization": str(org.pk),
            "created_by": str(owner.pk),
            "name": "Made in admin",
            "mode": "live",
            "scopes": ["records:read"],
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    raw = _shown_now(response)
    assert not _sessions_hold(raw)
