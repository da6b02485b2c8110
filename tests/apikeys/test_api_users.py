"""`GET /api/users/{user_id}/api-keys/`: one user's keys, where the caller manages."""

from __future__ import annotations

import pytest

from apikeys import services
from apikeys.api.views.users import USER_NOT_FOUND
from apikeys.permissions import MISSING_SCOPE
from organizations import services as org_services
from organizations.models import Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def keys_of(user) -> str:
    return f"/api/users/{user.pk}/api-keys/"


@pytest.fixture
def admins_keys(admin, make_key):
    """Two keys the admin created in `org`."""
    return [make_key(actor=admin, name="Admin one")[0], make_key(actor=admin, name="Admin two")[0]]


@pytest.mark.parametrize("reader", ["owner", "admin", "staff"])
def test_a_manager_lists_the_keys_a_user_created(request, reader, admin, admins_keys, make_key):
    make_key(name="Owner's own")

    response = signed_in(request.getfixturevalue(reader)).get(keys_of(admin))

    assert response.status_code == 200
    assert {k["name"] for k in response.json()["results"]} == {"Admin one", "Admin two"}
    assert {k["created_by"]["id"] for k in response.json()["results"]} == {str(admin.pk)}


def test_only_the_organizations_the_caller_manages_are_listed(admin, org, make_key):
    elsewhere = OrganizationFactory(name="Elsewhere")
    MembershipFactory(user=admin, organization=elsewhere, role=Role.OWNER)
    services.api_key_create(
        organization=elsewhere, actor=admin, name="Elsewhere key", acting_key=None
    )
    make_key(actor=admin, name="Here")
    owner_here = UserFactory(email="boss@example.com")
    MembershipFactory(user=owner_here, organization=org, role=Role.OWNER)

    response = signed_in(owner_here).get(keys_of(admin))

    assert [k["name"] for k in response.json()["results"]] == ["Here"]


def test_the_list_takes_the_key_list_filters(owner, admin, admins_keys):
    services.api_key_pause(key=admins_keys[0], actor=owner, acting_key=None)

    response = signed_in(owner).get(keys_of(admin) + "?status=paused")

    assert [k["name"] for k in response.json()["results"]] == ["Admin one"]


def test_a_member_of_the_organization_with_no_keys_gives_an_empty_list(owner, member):
    response = signed_in(owner).get(keys_of(member))

    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_a_member_may_not_list_anyones_keys(member, admin, admins_keys):
    response = signed_in(member).get(keys_of(admin))

    assert (response.status_code, response.json()) == (404, {"detail": USER_NOT_FOUND})


def test_a_user_outside_the_callers_organizations_is_a_404(owner, outsider):
    response = signed_in(owner).get(keys_of(outsider))

    assert (response.status_code, response.json()) == (404, {"detail": USER_NOT_FOUND})


def test_a_managing_key_lists_within_its_organization(key_client, admin, admins_keys):
    response = key_client(scopes=["api_keys:manage", "records:read"]).get(keys_of(admin))

    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_a_key_without_the_manage_scope_may_not(key_client, admin):
    response = key_client(scopes=["organization:read"]).get(keys_of(admin))

    assert response.status_code == 403
    assert response.json() == {"detail": MISSING_SCOPE.format(scope="api_keys:manage")}


def test_a_removed_members_keys_stay_listed_for_the_organization(owner, admin, org, admins_keys):
    org_services.member_remove(organization=org, actor=owner, user=admin, acting_key=None)

    response = signed_in(owner).get(keys_of(admin))

    assert response.json()["count"] == 2


def test_the_list_never_contains_a_plaintext(owner, admin, make_key):
    key, raw = make_key(actor=admin)

    response = signed_in(owner).get(keys_of(admin))

    assert response.status_code == 200
    assert [k["prefix"] for k in response.json()["results"]] == [key.prefix]
    assert raw not in response.content.decode()
