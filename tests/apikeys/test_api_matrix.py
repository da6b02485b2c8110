"""No caller reaches another organization's keys or members: 404 on objects, 403 on ids."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apikeys import services
from apikeys.models import APIKey, KeyStatus
from apikeys.permissions import NOT_ORGANIZATION_MEMBER, WRONG_ORGANIZATION
from core.models import AuditEvent
from organizations.models import Membership, Role

pytestmark = pytest.mark.django_db

CALLERS = ["owner", "admin", "member", "managing key"]


@pytest.fixture(params=CALLERS)
def caller(request, key_client):
    """A caller from `org`: a user of each role, or a key holding every scope it could use."""
    if request.param == "managing key":
        client = key_client(scopes=["api_keys:manage", "members:manage", "organization:read"])
        client.is_key = True
        return client
    client = APIClient()
    client.force_login(request.getfixturevalue(request.param))
    client.is_key = False
    return client


@pytest.fixture
def foreign(other_org, outsider):
    """Another organization's key, made by its owner."""
    key, raw = services.api_key_create(
        organization=other_org,
        actor=outsider,
        name="Theirs",
        scopes=["records:read"],
        acting_key=None,
    )
    key.raw = raw
    return key


KEY = "/api/api-keys/{key}/"
MEMBERS = "/api/organizations/{org}/members/"
INVITATIONS = "/api/organizations/{org}/invitations/"
OBJECT_REQUESTS = [
    pytest.param("get", KEY, None, id="read key"),
    pytest.param("patch", KEY, {"name": "Mine now"}, id="rename key"),
    pytest.param("delete", KEY, None, id="revoke key"),
    *[
        pytest.param("post", KEY + f"{action}/", None, id=action)
        for action in ("pause", "resume", "set-default", "remove-default", "rotate")
    ],
    pytest.param("get", "/api/organizations/{org}/", None, id="read organization"),
    pytest.param("get", MEMBERS, None, id="list members"),
    pytest.param("get", INVITATIONS, None, id="list invitations"),
    pytest.param("post", INVITATIONS, {"email": "new@example.com", "role": "owner"}, id="invite"),
    pytest.param("get", MEMBERS + "{user}/", None, id="read member"),
    pytest.param("patch", MEMBERS + "{user}/", {"role": "member"}, id="change role"),
    pytest.param("delete", MEMBERS + "{user}/", None, id="remove member"),
    pytest.param("get", "/api/users/{user}/api-keys/", None, id="user's keys"),
    pytest.param("post", "/api/users/me/api-keys/{key}/rotate/", None, id="rotate own key"),
    pytest.param("delete", "/api/users/me/api-keys/{key}/", None, id="revoke own key"),
]


@pytest.mark.parametrize(("method", "template", "body"), OBJECT_REQUESTS)
def test_another_organizations_objects_are_404s_and_stay_unchanged(
    caller, foreign, other_org, outsider, method, template, body
):
    url = template.format(key=foreign.pk, org=other_org.pk, user=outsider.pk)
    events = AuditEvent.objects.count()

    response = getattr(caller, method)(url, body, format="json")

    assert response.status_code == 404, response.content
    assert set(response.json()) == {"detail"}
    foreign.refresh_from_db()
    assert (foreign.name, foreign.status, foreign.is_default) == ("Theirs", KeyStatus.ACTIVE, False)
    assert APIKey.objects.filter(organization=other_org).count() == 1
    assert Membership.objects.get(organization=other_org, user=outsider).role == Role.OWNER
    assert not Membership.objects.filter(organization=other_org).exclude(user=outsider).exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/api-keys/?organization_id={org}"),
        ("get", "/api/users/me/api-keys/?organization_id={org}"),
        ("post", "/api/api-keys/"),
        ("post", "/api/users/me/api-keys/"),
        ("get", "/api/audit-events/?organization_id={org}"),
    ],
    ids=["list keys", "list own keys", "create key", "create own key", "audit events"],
)
def test_naming_another_organization_is_a_403(caller, foreign, other_org, method, path):
    body = {"name": "Planted", "organization_id": str(other_org.pk)} if method == "post" else None

    response = getattr(caller, method)(path.format(org=other_org.pk), body, format="json")

    assert response.status_code == 403
    expected = WRONG_ORGANIZATION if caller.is_key else NOT_ORGANIZATION_MEMBER
    assert response.json() == {"detail": expected}
    assert foreign.raw not in response.content.decode()
    assert APIKey.objects.filter(organization=other_org).count() == 1


@pytest.mark.parametrize("alias", ["organizationId", "clinic_id"])
def test_another_vendors_name_for_the_organization_is_a_400_naming_ours(
    caller, foreign, other_org, alias
):
    # `organization_id` is the only name: an alias is refused, never read (nor ignored).
    response = caller.get(f"/api/api-keys/?{alias}={other_org.pk}")

    assert response.status_code == 400
    assert response.json()[alias] == ['Unknown query parameter. Use "organization_id".']
    assert str(foreign.pk) not in response.content.decode()


def test_lists_never_show_another_organizations_keys_or_organization(caller, foreign, org):
    keys = caller.get("/api/api-keys/?limit=200").json()["results"]
    organizations = caller.get("/api/organizations/").json()["results"]

    assert str(foreign.pk) not in {k["id"] for k in keys}
    assert {o["id"] for o in organizations} == {str(org.pk)}


def test_staff_do_reach_every_organization(staff, foreign, other_org):
    client = APIClient()
    client.force_login(staff)

    assert client.get(f"/api/api-keys/{foreign.pk}/").status_code == 200
    assert client.get(f"/api/organizations/{other_org.pk}/members/").status_code == 200
    assert client.get(f"/api/audit-events/?organization_id={other_org.pk}").status_code == 200
