"""`/api/organizations/` and their members over REST, under the role rules."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apikeys.authentication import KEY_REVOKED
from apikeys.permissions import MISSING_SCOPE
from core.models import AuditAction, AuditEvent
from organizations import services
from organizations.api.permissions import READ_SCOPE
from organizations.api.serializers import ONLY_ROLE_CHANGES
from organizations.api.views import MEMBER_NOT_FOUND, ORGANIZATION_NOT_FOUND
from organizations.models import Membership, Role
from organizations.permissions import LAST_OWNER, NOT_A_MANAGER, ONLY_OWNERS_GRANT_OWNER
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def members_url(org) -> str:
    return f"/api/organizations/{org.pk}/members/"


def member_url(org, user) -> str:
    return f"{members_url(org)}{user.pk}/"


@pytest.fixture
def newcomer(db):
    return UserFactory(email="newcomer@example.com")


# Organizations --------------------------------------------------------------------------


def test_a_user_lists_their_organizations_with_their_role(member, org):
    OrganizationFactory(name="Not mine")

    response = signed_in(member).get("/api/organizations/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == str(org.pk)
    assert body["results"][0]["role"] == "member"


def test_staff_see_every_organization_acting_as_admin(staff, org, other_org):
    body = signed_in(staff).get("/api/organizations/").json()

    assert {o["id"] for o in body["results"]} == {str(org.pk), str(other_org.pk)}
    assert {o["role"] for o in body["results"]} == {"admin"}


def test_a_key_sees_only_its_own_organization(key_client, org, other_org):
    client = key_client(scopes=[READ_SCOPE])

    listing = client.get("/api/organizations/").json()
    own = client.get(f"/api/organizations/{org.pk}/")
    foreign = client.get(f"/api/organizations/{other_org.pk}/")

    assert [o["id"] for o in listing["results"]] == [str(org.pk)]
    assert (own.status_code, own.json()["role"]) == (200, "owner")
    assert (foreign.status_code, foreign.json()) == (404, {"detail": ORGANIZATION_NOT_FOUND})


def test_a_key_needs_a_reading_scope_for_organizations_and_members(key_client, org):
    client = key_client(scopes=["records:read"])
    expected = {"detail": MISSING_SCOPE.format(scope=READ_SCOPE)}

    for url in ("/api/organizations/", f"/api/organizations/{org.pk}/", members_url(org)):
        response = client.get(url)
        assert (response.status_code, response.json()) == (403, expected)


def test_a_managing_key_reads_members_without_the_reading_scope(key_client, org, owner):
    response = key_client(scopes=["api_keys:manage", "records:read"]).get(members_url(org))

    assert response.status_code == 200
    assert [m["email"] for m in response.json()["results"]] == [owner.email]


# Reading members ------------------------------------------------------------------------


def test_every_member_reads_the_member_list(member, owner, admin, org):
    response = signed_in(member).get(members_url(org))

    assert response.status_code == 200
    rows = {m["email"]: m["role"] for m in response.json()["results"]}
    assert rows == {owner.email: "owner", admin.email: "admin", member.email: "member"}


def test_one_member_can_be_read(member, owner, org):
    response = signed_in(member).get(member_url(org, owner))

    assert response.status_code == 200
    assert response.json()["user_id"] == str(owner.pk)
    assert response.json()["role"] == "owner"


def test_a_user_who_is_not_a_member_is_a_404(owner, org, newcomer):
    response = signed_in(owner).get(member_url(org, newcomer))

    assert (response.status_code, response.json()) == (404, {"detail": MEMBER_NOT_FOUND})


# Adding: only by invitation ----------------------------------------------------------


def test_no_one_is_added_directly_people_are_invited(owner, org, newcomer):
    response = signed_in(owner).post(
        members_url(org), {"email": newcomer.email, "role": "admin"}, format="json"
    )

    assert response.status_code == 405
    assert not Membership.objects.filter(user=newcomer).exists()


# Changing roles -------------------------------------------------------------------------


def test_an_owner_promotes_a_member_and_it_is_audited(owner, member, org):
    response = signed_in(owner).patch(
        member_url(org, member), {"role": "admin"}, format="json", HTTP_X_REQUEST_ID="promo-1"
    )

    assert (response.status_code, response.json()["role"]) == (200, "admin")
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_ROLE_CHANGED)
    assert event.request_id == "promo-1"
    assert event.details == {"user": member.email, "from": "member", "to": "admin"}


def test_an_admin_cannot_touch_an_owner(admin, owner, org):
    response = signed_in(admin).patch(member_url(org, owner), {"role": "member"}, format="json")

    assert (response.status_code, response.json()) == (403, {"detail": ONLY_OWNERS_GRANT_OWNER})


def test_the_last_owner_cannot_step_down(owner, org):
    response = signed_in(owner).patch(member_url(org, owner), {"role": "admin"}, format="json")

    assert (response.status_code, response.json()) == (409, {"detail": LAST_OWNER})
    assert Membership.objects.get(user=owner, organization=org).role == Role.OWNER


def test_a_member_cannot_change_roles(member, admin, org):
    response = signed_in(member).patch(member_url(org, admin), {"role": "member"}, format="json")

    assert (response.status_code, response.json()) == (403, {"detail": NOT_A_MANAGER})


@pytest.mark.parametrize("body", [{"role": "root"}, {"role": None}, {"role": ["admin"]}])
def test_a_role_change_needs_a_valid_role(owner, member, org, body):
    response = signed_in(owner).patch(member_url(org, member), body, format="json")

    assert response.status_code == 400
    assert response.json()["role"] == [services.ROLE_INVALID]
    assert Membership.objects.get(user=member, organization=org).role == Role.MEMBER


def test_a_patch_without_a_role_changes_nothing(owner, member, org):
    response = signed_in(owner).patch(member_url(org, member), {}, format="json")

    assert (response.status_code, response.json()["role"]) == (200, "member")
    assert not AuditEvent.objects.filter(action=AuditAction.MEMBER_ROLE_CHANGED).exists()


def test_a_misspelt_field_is_refused_rather_than_ignored(owner, member, org):
    response = signed_in(owner).patch(member_url(org, member), {"Role": "admin"}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == ONLY_ROLE_CHANGES.format(fields="Role")


# Removing -------------------------------------------------------------------------------


def test_removing_a_member_revokes_their_keys_at_once(owner, admin, org, make_key):
    _, raw = make_key(actor=admin)
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert keyed.get("/api/auth/me/").status_code == 200

    response = signed_in(owner).delete(member_url(org, admin))

    assert response.status_code == 204
    assert not Membership.objects.filter(user=admin, organization=org).exists()
    assert keyed.get("/api/auth/me/").json() == {"detail": KEY_REVOKED}


def test_a_member_cannot_remove_anyone(member, admin, org):
    response = signed_in(member).delete(member_url(org, admin))

    assert response.status_code == 403
    assert Membership.objects.filter(user=admin, organization=org).exists()


def test_the_last_owner_cannot_be_removed(owner, org):
    response = signed_in(owner).delete(member_url(org, owner))

    assert (response.status_code, response.json()) == (409, {"detail": LAST_OWNER})


def test_a_members_key_changes_members_with_its_creators_role(key_client, member, org):
    client = key_client(scopes=["members:manage"])

    response = client.patch(member_url(org, member), {"role": "admin"}, format="json")

    assert response.status_code == 200
    assert AuditEvent.objects.get(action=AuditAction.MEMBER_ROLE_CHANGED).actor_key_id == (
        client.key.pk
    )


def test_a_reading_key_cannot_change_members(key_client, member, org):
    client = key_client(scopes=[READ_SCOPE])

    response = client.delete(member_url(org, member))

    assert response.status_code == 403
    assert response.json() == {"detail": MISSING_SCOPE.format(scope="members:manage")}
    assert Membership.objects.filter(user=member, organization=org).exists()
