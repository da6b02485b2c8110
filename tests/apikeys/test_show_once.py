"""The session hand-off of a new key's plaintext to one page view (apikeys.show_once)."""

import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.urls import reverse

from apikeys import show_once

pytestmark = pytest.mark.django_db


def create_through_the_page(client, org, name="Lab sync"):
    return client.post(
        reverse("api-key-create", args=[org.pk]),
        {"name": name, "mode": "live", "scopes": ["records:read"], "expiry": "never"},
    )


def test_an_abandoned_plaintext_expires_and_is_purged(client, owner, org, monkeypatch):
    client.force_login(owner)
    created = create_through_the_page(client, org)
    assert show_once.SESSION_KEY in client.session
    later = show_once.clock() + show_once.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(show_once, "clock", lambda: later)
    client.get(reverse("api-keys", args=[org.pk]))
    assert show_once.SESSION_KEY not in client.session
    assert "can no longer be shown" in client.get(created["Location"]).content.decode()


def test_a_stale_plaintext_is_never_shown(client, owner, org, monkeypatch):
    client.force_login(owner)
    created = create_through_the_page(client, org)
    later = show_once.clock() + show_once.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(show_once, "clock", lambda: later)
    response = client.get(created["Location"])
    assert response.status_code == 200
    assert "can no longer be shown" in response.content.decode()


def test_the_plaintext_is_taken_only_for_its_own_organization(client, owner, org, other_org):
    from organizations.models import Membership

    Membership.objects.create(user=owner, organization=other_org, role="owner")
    client.force_login(owner)
    create_through_the_page(client, org)
    client.get(reverse("api-key-created", args=[other_org.pk]))
    assert show_once.SESSION_KEY not in client.session  # taken, and refused


def _rows_hold(raw: str) -> bool:
    return any(raw in json.dumps(s.get_decoded()) for s in Session.objects.all())


def test_no_database_row_ever_holds_the_plaintext(client, owner, org):
    client.force_login(owner)
    created = create_through_the_page(client, org)
    raw = re.search(r"kp_live_[0-9A-Za-z]{49}", client.get(created["Location"]).content.decode())
    assert raw is not None

    client.force_login(owner)
    create_through_the_page(client, org, name="Abandoned")  # its page is never opened

    waiting = client.session[show_once.SESSION_KEY]
    assert set(waiting) == {"key_id", "organization_id", "at", "token"}
    assert not _rows_hold(raw.group(0))
    assert cache.get(show_once.CACHE_PREFIX + waiting["token"]).startswith("kp_live_")


def test_the_cache_itself_expires_a_plaintext_nobody_came_for(client, owner, org, monkeypatch):
    monkeypatch.setattr(show_once, "MAX_AGE_SECONDS", 0)  # Django: a timeout of 0 expires at once
    client.force_login(owner)
    created = create_through_the_page(client, org)
    waiting = client.session[show_once.SESSION_KEY]

    assert cache.get(show_once.CACHE_PREFIX + waiting["token"]) is None
    assert show_once.NO_LONGER_SHOWN in client.get(created["Location"]).content.decode()


def test_on_redis_the_plaintext_carries_a_ten_minute_ttl(client, owner, org):
    if not isinstance(cache._cache, RedisCacheClient):
        pytest.skip("the Redis TTL: runs in CI's PostgreSQL+Redis pass (set REDIS_URL)")
    client.force_login(owner)
    create_through_the_page(client, org)
    token = client.session[show_once.SESSION_KEY]["token"]

    ttl = cache._cache.get_client().ttl(cache.make_key(show_once.CACHE_PREFIX + token))

    assert 0 < ttl <= show_once.MAX_AGE_SECONDS
