"""Creating and rotating a key ask for the password (or a code) again once the last
authentication is a few minutes old; a sign-in just now counts as one."""

from __future__ import annotations

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from django.urls import reverse

from apikeys.models import APIKey, KeyStatus
from tests.accounts.conftest import authenticated_long_ago, totp_code, with_totp
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_KEY = {"name": "PMS sync", "mode": "live", "scopes": ["records:read"], "expiry": "never"}


def signed_in_on_the_page(user) -> Client:
    client = Client()
    client.post(reverse("login"), {"login": user.email, "password": PASSWORD})
    return client


def test_right_after_signing_in_a_key_is_created_without_asking_again(owner, org):
    client = signed_in_on_the_page(owner)

    response = client.post(reverse("api-key-create", args=[org.pk]), NEW_KEY)

    assert response["Location"] == reverse("api-key-created", args=[org.pk])
    assert APIKey.objects.filter(name="PMS sync").exists()


def test_later_creating_a_key_asks_for_the_password_then_creates_it(owner, org):
    client = signed_in_on_the_page(owner)
    authenticated_long_ago(client, owner)
    create = reverse("api-key-create", args=[org.pk])

    form = client.get(create)  # the form itself opens
    asked = client.post(create, NEW_KEY)

    assert form.status_code == 200
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert not APIKey.objects.exists()
    done = client.post(asked["Location"], {"password": PASSWORD})
    assert done["Location"] == reverse("api-key-created", args=[org.pk])  # what was typed
    assert APIKey.objects.get().name == "PMS sync"
    assert "kp_live_" in client.get(done["Location"]).content.decode()


def test_a_wrong_password_creates_no_key(owner, org):
    client = signed_in_on_the_page(owner)
    authenticated_long_ago(client, owner)
    asked = client.post(reverse("api-key-create", args=[org.pk]), NEW_KEY)

    response = client.post(asked["Location"], {"password": "not it"})

    assert response.status_code == 200
    assert "Incorrect password." in response.content.decode()
    assert not APIKey.objects.exists()


def test_later_rotating_a_key_asks_for_the_password_then_rotates_it(owner, org, make_key):
    key, _ = make_key()
    client = signed_in_on_the_page(owner)
    authenticated_long_ago(client, owner)

    asked = client.post(reverse("api-key-rotate", args=[org.pk, key.pk]), {"grace_period": "0"})

    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE
    client.post(asked["Location"], {"password": PASSWORD})
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED
    assert APIKey.objects.filter(status=KeyStatus.ACTIVE).count() == 1


def test_with_two_factor_a_code_confirms_it_is_you_instead(owner, org):
    with_totp(owner)
    recovery_code = RecoveryCodes.activate(owner).get_unused_codes()[0]
    client = Client()
    client.post(reverse("login"), {"login": owner.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    authenticated_long_ago(client, owner)
    create = reverse("api-key-create", args=[org.pk])
    asked = client.post(create, NEW_KEY)

    page = client.get(asked["Location"]).content.decode()
    # (The app's current code was used up signing in: a recovery code stands in for it.)
    done = client.post(f"{reverse('mfa_reauthenticate')}?next={create}", {"code": recovery_code})

    assert reverse("mfa_reauthenticate") in page  # offered beside the password
    assert done.status_code == 302
    assert APIKey.objects.get().name == "PMS sync"
