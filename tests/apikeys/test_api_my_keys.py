"""`/api/users/me/api-keys/`: the caller's own keys, as Nexora's clients manage them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apikeys.api.views.base import ORGANIZATION_NOT_ONLY
from apikeys.api.views.keys import KEY_NOT_FOUND
from apikeys.authentication import KEY_REVOKED
from apikeys.models import APIKey, KeyStatus
from apikeys.permissions import MISSING_SCOPE, NOT_ORGANIZATION_MEMBER, WRONG_ORGANIZATION
from core.models import AuditAction, AuditEvent
from organizations.models import Role
from organizations.permissions import NOT_A_MANAGER
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

MINE = "/api/users/me/api-keys/"


def mine(key) -> str:
    return f"{MINE}{key.pk}/"


def with_key(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# List ---------------------------------------------------------------------------------------


def test_the_list_holds_only_the_keys_the_caller_created(owner, admin, make_key):
    make_key(name="Owner's")
    make_key(actor=admin, name="Admin's")

    response = signed_in(owner).get(MINE)

    assert response.status_code == 200
    assert [k["name"] for k in response.json()["results"]] == ["Owner's"]
    assert "key" not in response.json()["results"][0]


def test_the_list_spans_every_organization_the_user_belongs_to(owner, org, make_key):
    elsewhere = OrganizationFactory(name="Second Clinic")
    MembershipFactory(user=owner, organization=elsewhere, role=Role.OWNER)
    make_key(name="Here")
    make_key(organization=elsewhere, name="There")

    both = signed_in(owner).get(MINE).json()["results"]
    filtered = signed_in(owner).get(f"{MINE}?organization_id={elsewhere.pk}").json()["results"]

    assert {k["name"] for k in both} == {"Here", "There"}
    assert [k["name"] for k in filtered] == ["There"]


def test_a_key_lists_its_creators_keys_in_its_own_organization_only(owner, admin, make_key):
    elsewhere = OrganizationFactory(name="Second Clinic")
    MembershipFactory(user=owner, organization=elsewhere, role=Role.OWNER)
    make_key(organization=elsewhere, name="There")
    make_key(actor=admin, name="Admin's")
    _, raw = make_key(name="Calling", scopes=["api_keys:manage"])

    response = with_key(raw).get(MINE)

    assert response.status_code == 200
    assert [k["name"] for k in response.json()["results"]] == ["Calling"]


def test_the_list_takes_the_key_list_filters_and_refuses_others(owner, make_key):
    make_key(name="Live")
    make_key(name="Test", mode="test")
    client = signed_in(owner)

    filtered = client.get(f"{MINE}?mode=test")
    refused = client.get(f"{MINE}?type=test")

    assert [k["name"] for k in filtered.json()["results"]] == ["Test"]
    assert refused.status_code == 400
    assert refused.json()["type"] == ['Unknown query parameter. Use "mode".']


def test_a_key_without_the_manage_scope_may_not_use_it(make_key):
    _, raw = make_key(scopes=["records:read"])

    response = with_key(raw).get(MINE)

    assert response.status_code == 403
    assert response.json() == {"detail": MISSING_SCOPE.format(scope="api_keys:manage")}


# Create -------------------------------------------------------------------------------------


def test_a_session_user_of_one_organization_creates_there_without_naming_it(owner, org):
    response = signed_in(owner).post(MINE, {"name": "CI pipeline"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["organization_id"] == str(org.pk)
    assert body["created_by"]["id"] == str(owner.pk)
    assert response["Cache-Control"] == "no-store"
    assert with_key(body["key"]).get("/api/auth/me/").status_code == 200


def test_a_user_of_several_organizations_must_name_one(owner, org):
    elsewhere = OrganizationFactory(name="Second Clinic")
    MembershipFactory(user=owner, organization=elsewhere, role=Role.OWNER)
    client = signed_in(owner)

    unnamed = client.post(MINE, {"name": "Where?"}, format="json")
    named = client.post(
        MINE, {"name": "There", "organization_id": str(elsewhere.pk)}, format="json"
    )

    assert unnamed.status_code == 400
    assert unnamed.json()["organization_id"] == [ORGANIZATION_NOT_ONLY]
    assert named.status_code == 201 and named.json()["organization_id"] == str(elsewhere.pk)
    assert list(APIKey.objects.values_list("name", flat=True)) == ["There"]


def test_staff_with_no_membership_must_name_the_organization(staff):
    response = signed_in(staff).post(MINE, {"name": "Ops"}, format="json")

    assert response.status_code == 400
    assert response.json()["organization_id"] == [ORGANIZATION_NOT_ONLY]
    assert not APIKey.objects.exists()


def test_a_key_creates_in_its_own_organization(key_client, org, owner):
    response = key_client().post(MINE, {"name": "Child", "scopes": ["records:read"]}, format="json")

    assert response.status_code == 201
    assert response.json()["organization_id"] == str(org.pk)
    assert response.json()["created_by"]["id"] == str(owner.pk)


def test_the_same_rules_as_api_keys_apply(member, key_client, other_org, org):
    by_member = signed_in(member).post(MINE, {"name": "Mine"}, format="json")
    elsewhere = key_client().post(
        MINE, {"name": "Elsewhere", "organization_id": str(other_org.pk)}, format="json"
    )
    outsider_org = signed_in(member).post(
        MINE, {"name": "Sneaky", "organization_id": str(other_org.pk)}, format="json"
    )
    vendor = signed_in(member).post(MINE, {"name": "Sandbox", "type": "test"}, format="json")

    assert (by_member.status_code, by_member.json()) == (403, {"detail": NOT_A_MANAGER})
    assert (elsewhere.status_code, elsewhere.json()) == (403, {"detail": WRONG_ORGANIZATION})
    assert outsider_org.json() == {"detail": NOT_ORGANIZATION_MEMBER}
    assert vendor.json()["type"] == ['Unknown field. Use "mode".']
    assert APIKey.objects.filter(organization__in=[org, other_org]).count() == 1  # key_client's


# Rotate and revoke --------------------------------------------------------------------------


def test_rotating_an_own_key_returns_its_replacement_once(owner, make_key):
    key, raw = make_key(name="Lab sync")

    response = signed_in(owner).post(f"{mine(key)}rotate/", format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["rotated_from"] == str(key.pk) and body["name"] == "Lab sync"
    assert response["Cache-Control"] == "no-store"
    assert with_key(raw).get("/api/auth/me/").json() == {"detail": KEY_REVOKED}
    assert with_key(body["key"]).get("/api/auth/me/").status_code == 200


def test_revoking_an_own_key_is_immediate_and_audited(owner, make_key):
    key, raw = make_key()

    response = signed_in(owner).delete(mine(key))

    assert (response.status_code, response.content) == (204, b"")
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED
    assert AuditEvent.objects.filter(action=AuditAction.KEY_REVOKED, api_key=key).exists()
    assert with_key(raw).get("/api/auth/me/").json() == {"detail": KEY_REVOKED}


@pytest.mark.parametrize("caller", ["owner", "managing key"])
def test_a_key_the_caller_did_not_create_is_a_404_there(request, caller, admin, make_key):
    theirs, _ = make_key(actor=admin, name="Admin's")
    if caller == "owner":
        client = signed_in(request.getfixturevalue("owner"))
    else:
        client = with_key(make_key(scopes=["api_keys:manage"])[1])

    rotate = client.post(f"{mine(theirs)}rotate/", format="json")
    revoke = client.delete(mine(theirs))
    through_api_keys = client.get(f"/api/api-keys/{theirs.pk}/")

    assert (rotate.status_code, rotate.json()) == (404, {"detail": KEY_NOT_FOUND})
    assert (revoke.status_code, revoke.json()) == (404, {"detail": KEY_NOT_FOUND})
    assert through_api_keys.status_code == 200  # the owner still manages it there
    theirs.refresh_from_db()
    assert (theirs.status, theirs.is_rotated) == (KeyStatus.ACTIVE, False)


def test_other_actions_are_not_offered_here(owner, make_key):
    key, _ = make_key()
    client = signed_in(owner)

    assert client.get(mine(key)).status_code == 405
    assert client.patch(mine(key), {"name": "x"}, format="json").status_code == 405
    assert client.post(f"{mine(key)}pause/", format="json").status_code == 404
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_every_path_works_without_its_trailing_slash(key_client, make_key):
    client = key_client()
    client.handler.enforce_csrf_checks = True
    old, _ = make_key(name="Old")
    gone, _ = make_key(name="Gone")

    listed = client.get(MINE.rstrip("/"))
    created = client.post(MINE.rstrip("/"), {"name": "No slash"}, format="json")
    rotated = client.post(f"{mine(old)}rotate", format="json")
    revoked = client.delete(mine(gone).rstrip("/"))

    assert listed.status_code == 200
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    assert rotated.status_code == 201
    assert revoked.status_code == 204


def test_a_session_needs_the_csrf_token_here_too(owner):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(MINE, {"name": "CSRF"}, format="json")

    assert response.status_code == 403
    assert not APIKey.objects.exists()


def test_the_schema_documents_the_four_operations(owner):
    schema = APIClient().get("/api/schema/?format=json").json()
    paths = schema["paths"]

    assert set(paths[MINE]) == {"get", "post"}
    assert set(paths[MINE + "{id}/"]) == {"delete"}
    assert set(paths[MINE + "{id}/rotate/"]) == {"post"}
    created = paths[MINE]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("/APIKeyWithSecret")
    assert "Cache-Control" in created["headers"]
    assert paths[MINE]["post"]["operationId"] == "users_me_api_keys_create"
