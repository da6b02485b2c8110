"""`GET /api/auth/me/`: the first call of every integration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import services
from apikeys.authentication import INVALID_KEY, KEY_EXPIRED, KEY_PAUSED, KEY_REVOKED
from apikeys.models import APIKey
from organizations.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

ME = "/api/auth/me/"


def test_a_key_learns_its_user_organization_and_key(key_client, owner, org):
    client = key_client(scopes=["records:read"])

    response = client.get(ME)

    assert response.status_code == 200
    key = client.key
    assert response.json() == {
        "user_id": str(owner.pk),
        "email": owner.email,
        "auth_method": "api_key",
        "organization_id": str(org.pk),
        "organization_name": "Happy Paws Clinic",
        "api_key": {
            "id": str(key.pk),
            "name": key.name,
            "prefix": key.prefix,
            "mode": "live",
            "scopes": ["records:read"],
            "effective_scopes": ["records:read"],
            "created_at": key.created_at.isoformat().replace("+00:00", "Z"),
            "expires_at": None,
        },
        "organizations": [{"id": str(org.pk), "name": "Happy Paws Clinic", "role": "owner"}],
    }


def test_a_key_with_no_scopes_at_all_may_still_call_me(key_client):
    response = key_client(scopes=[]).get(ME)

    assert response.status_code == 200
    assert response.json()["api_key"]["scopes"] == []


@pytest.mark.parametrize("header", ["HTTP_X_API_KEY", "HTTP_API_KEY"])
def test_me_accepts_the_key_in_each_header(make_key, header):
    _, raw = make_key()

    response = APIClient().get(ME, **{header: raw})

    assert response.status_code == 200
    assert response.json()["auth_method"] == "api_key"


def test_the_key_acts_with_its_creators_current_role(make_key, admin, org):
    _, raw = make_key(actor=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert client.get(ME).json()["organizations"][0]["role"] == "admin"


def test_me_never_contains_the_plaintext(key_client):
    client = key_client()

    response = client.get(ME)

    assert client.raw not in response.content.decode()


def test_a_session_user_of_one_organization_gets_its_id(member, org):
    response = signed_in(member).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["auth_method"] == "session" and body["api_key"] is None
    assert body["organization_id"] == str(org.pk)
    assert body["organization_name"] == "Happy Paws Clinic"
    assert body["organizations"] == [
        {"id": str(org.pk), "name": "Happy Paws Clinic", "role": "member"}
    ]


def test_a_session_user_of_several_organizations_chooses_from_the_list(owner, org):
    second = OrganizationFactory(name="Second Clinic")
    MembershipFactory(user=owner, organization=second, role=Role.ADMIN)

    body = signed_in(owner).get(ME).json()

    assert body["organization_id"] is None and body["organization_name"] is None
    assert body["organizations"] == [
        {"id": str(org.pk), "name": "Happy Paws Clinic", "role": "owner"},
        {"id": str(second.pk), "name": "Second Clinic", "role": "admin"},
    ]


def test_staff_without_memberships_see_an_empty_list(staff):
    body = signed_in(staff).get(ME).json()

    assert body["organizations"] == [] and body["organization_id"] is None


def test_an_anonymous_call_is_a_401_with_a_bearer_challenge(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "message"),
    [("revoke", KEY_REVOKED), ("pause", KEY_PAUSED), ("expire", KEY_EXPIRED)],
)
def test_a_key_that_no_longer_works_gets_a_401_saying_why(owner, make_key, change, message):
    key, raw = make_key()
    if change == "revoke":
        services.api_key_revoke(key=key, actor=owner, acting_key=None)
    elif change == "pause":
        services.api_key_pause(key=key, actor=owner, acting_key=None)
    else:
        APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = client.get(ME)

    assert (response.status_code, response.json()) == (401, {"detail": message})


def test_a_made_up_key_is_a_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-key-at-all")

    response = api_client.get(ME)

    assert (response.status_code, response.json()) == (401, {"detail": INVALID_KEY})


def test_me_is_read_only(key_client):
    response = key_client().post(ME, {}, format="json")

    assert response.status_code == 405
    assert response.json()["detail"] == 'Method "POST" not allowed.'
