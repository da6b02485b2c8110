"""`POST /api/api-keys/`: who may create a key, and how bad input is refused."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apikeys import services, validation
from apikeys.api.views.base import ORGANIZATION_REQUIRED
from apikeys.models import APIKey
from apikeys.permissions import MISSING_SCOPE, NOT_ORGANIZATION_MEMBER, WRONG_ORGANIZATION
from core.api.serializers import NOT_A_STRING
from organizations.permissions import NOT_A_MANAGER
from tests.helpers import KEYS, detail, signed_in

pytestmark = pytest.mark.django_db

# Create ---------------------------------------------------------------------------------


def test_an_owner_admin_or_staff_creates_a_key_and_sees_its_plaintext_once(manager, org):
    response = signed_in(manager).post(
        KEYS,
        {
            "name": "Production Integration",
            "organization_id": str(org.pk),
            "mode": "test",
            "scopes": ["records:read", "devices:read"],
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith(body["prefix"]) and body["prefix"].startswith("kp_test_")
    assert body["status"] == "active" and body["is_default"] is False
    assert body["scopes"] == ["devices:read", "records:read"]
    assert body["organization_id"] == str(org.pk)
    assert body["created_by"] == {"id": str(manager.pk), "email": manager.email}
    assert body["expires_at"] is None and body["rotated_from"] is None
    assert response["Cache-Control"] == "no-store"
    assert APIKey.objects.get(pk=body["id"]).hashed_key != body["key"]


def test_the_new_plaintext_authenticates(owner, org):
    raw = (
        signed_in(owner)
        .post(KEYS, {"name": "CI", "organization_id": str(org.pk)}, format="json")
        .json()["key"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert client.get("/api/auth/me/").status_code == 200


def test_omitted_fields_get_the_documented_defaults(owner, org, settings):
    body = (
        signed_in(owner)
        .post(KEYS, {"name": "Defaults", "organization_id": str(org.pk)}, format="json")
        .json()
    )

    assert body["mode"] == "live"
    assert body["scopes"] == sorted(settings.APIKEYS_DEFAULT_SCOPES)
    assert body["expires_at"] is None


def test_a_member_cannot_create_a_key(member, org):
    response = signed_in(member).post(
        KEYS, {"name": "Mine", "organization_id": str(org.pk)}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_A_MANAGER}
    assert not APIKey.objects.exists()


def test_a_user_cannot_create_a_key_in_an_organization_they_do_not_belong_to(outsider, org):
    response = signed_in(outsider).post(
        KEYS, {"name": "Sneaky", "organization_id": str(org.pk)}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == NOT_ORGANIZATION_MEMBER
    assert not APIKey.objects.filter(organization=org).exists()


def test_staff_naming_an_organization_that_does_not_exist_get_a_403(staff):
    response = signed_in(staff).post(
        KEYS,
        {"name": "Ghost", "organization_id": "00000000-0000-4000-8000-000000000000"},
        format="json",
    )

    assert response.status_code == 403
    assert not APIKey.objects.exists()


def test_a_session_must_name_the_organization(owner):
    response = signed_in(owner).post(KEYS, {"name": "Where?"}, format="json")

    assert response.status_code == 400
    assert response.json()["organization_id"] == [ORGANIZATION_REQUIRED]


def test_a_managing_key_creates_keys_in_its_own_organization_by_default(key_client, org):
    client = key_client(scopes=["api_keys:manage", "records:read"])

    response = client.post(KEYS, {"name": "Child", "scopes": ["records:read"]}, format="json")

    assert response.status_code == 201
    assert response.json()["organization_id"] == str(org.pk)
    assert response["Cache-Control"] == "no-store"


def test_a_key_cannot_create_a_key_in_another_organization(key_client, other_org):
    response = key_client().post(
        KEYS, {"name": "Elsewhere", "organization_id": str(other_org.pk)}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": WRONG_ORGANIZATION}
    assert not APIKey.objects.filter(organization=other_org).exists()


def test_a_key_cannot_grant_scopes_it_does_not_hold(key_client):
    client = key_client(scopes=["api_keys:manage"])

    response = client.post(KEYS, {"name": "Wider", "scopes": ["records:write"]}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == services.SCOPE_ESCALATION.format(scopes="records:write")


def test_a_key_without_the_manage_scope_cannot_use_the_key_endpoints(key_client):
    client = key_client(scopes=["records:read"])
    expected = {"detail": MISSING_SCOPE.format(scope="api_keys:manage")}

    listing = client.get(KEYS)
    creation = client.post(KEYS, {"name": "Nope"}, format="json")
    reading = client.get(detail(client.key))

    assert (listing.status_code, listing.json()) == (403, expected)
    assert (creation.status_code, creation.json()) == (403, expected)
    assert (reading.status_code, reading.json()) == (403, expected)


def test_a_managing_key_whose_creator_became_a_member_is_refused(key_client, owner, org):
    client = key_client(scopes=["api_keys:manage"])
    owner.memberships.filter(organization=org).update(role="member")

    response = client.get(KEYS)

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_A_MANAGER}


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": ""}, "name", validation.NAME_REQUIRED),
        ({"name": "   "}, "name", validation.NAME_REQUIRED),
        ({"name": "x" * 101}, "name", validation.NAME_TOO_LONG),
        ({"name": "tab\there"}, "name", validation.NAME_INVISIBLE_CHARACTERS),
        ({"name": 42}, "name", NOT_A_STRING),
        ({"mode": "prod"}, "mode", validation.MODE_INVALID),
        ({"scopes": ["records:read", "root"]}, "scopes", "Unknown scope: root."),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at", validation.EXPIRY_IN_PAST),
        ({"organization_id": "not-a-uuid"}, "organization_id", None),
        ({"expires_at": "next tuesday"}, "expires_at", None),
        ({"expires_at": 1893456000}, "expires_at", None),
        ({"scopes": "records:read"}, "scopes", None),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(
    owner, org, payload, field, message
):
    body = {"name": "Valid name", "organization_id": str(org.pk), **payload}

    response = signed_in(owner).post(KEYS, body, format="json")

    assert response.status_code == 400
    data = response.json()
    assert field in data and data["detail"]
    if message is not None:
        assert data[field] == [message]
    assert not APIKey.objects.exists()


def test_a_name_of_exactly_100_characters_is_accepted(owner, org):
    response = signed_in(owner).post(
        KEYS, {"name": "n" * 100, "organization_id": str(org.pk)}, format="json"
    )

    assert response.status_code == 201


def test_malformed_json_is_a_400_and_a_form_body_a_415(owner):
    client = signed_in(owner)

    malformed = client.post(KEYS, '{"name": ', content_type="application/json")
    form = client.post(KEYS, "name=x", content_type="application/x-www-form-urlencoded")

    assert malformed.status_code == 400 and "JSON parse error" in malformed.json()["detail"]
    assert form.status_code == 415 and form.json()["detail"]
    assert not APIKey.objects.exists()


def test_session_writes_need_the_csrf_token(owner, org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(KEYS, {"name": "CSRF", "organization_id": str(org.pk)}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not APIKey.objects.exists()


def test_key_requests_need_no_csrf_token(key_client):
    client = key_client()
    client.handler.enforce_csrf_checks = True

    response = client.post(KEYS, {"name": "From a server"}, format="json")

    assert response.status_code == 201


def test_an_anonymous_request_is_a_401(api_client):
    response = api_client.get(KEYS)

    assert response.status_code == 401
    assert response.json()["detail"]
