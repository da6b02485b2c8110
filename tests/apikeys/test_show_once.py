"""The session hand-off of a new key's plaintext to one page view (apikeys.show_once)."""

import pytest
from django.urls import reverse

from apikeys import show_once

pytestmark = pytest.mark.django_db


def create_through_the_page(client, org):
    return client.post(
        reverse("api-key-create", args=[org.pk]),
        {"name": "Lab sync", "mode": "live", "scopes": ["records:read"], "expiry": "never"},
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
