"""Every endpoint, called by every kind of caller: the answer each one gets.

Callers: the organization's owner, admin and member (sessions); staff with the key
permissions and staff with none ("bare staff"), neither a member; and keys, all created by
the owner (so acting as the owner) unless said: one holding `api_keys:manage` (and the
default `records:read`), one holding `members:manage`, one holding `audit:read`, one holding
only `records:read`, one minted by the managing key itself, a key granted every manager
scope by an admin who was then demoted to member, and one whose creator was removed from
the organization (revoked with the membership: 401 everywhere).
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apikeys import services
from organizations import services as org_services
from organizations.models import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CALLERS = (
    "owner",
    "admin",
    "member",
    "staff",
    "bare staff",
    "manage key",
    "minted key",
    "members key",
    "audit key",
    "plain key",
    "demoted key",
    "removed key",
)
MANAGE = ["api_keys:manage", "records:read"]


@pytest.fixture
def client_for(key_client, org, owner):
    def make(caller: str, request) -> APIClient:
        if caller == "manage key":
            return key_client(scopes=MANAGE)
        if caller == "minted key":
            parent = key_client(scopes=MANAGE)
            minted = parent.post(
                "/api/api-keys/", {"name": "Minted", "scopes": MANAGE}, format="json"
            )
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {minted.json()['key']}")
            return client
        if caller == "members key":
            return key_client(scopes=["members:manage"])
        if caller == "audit key":
            return key_client(scopes=["audit:read"])
        if caller == "plain key":
            return key_client(scopes=["records:read"])
        if caller == "demoted key":
            former = MembershipFactory(
                organization=org, role=Role.ADMIN, user=UserFactory(email="former@example.com")
            ).user
            client = key_client(
                scopes=["api_keys:manage", "members:manage", "audit:read", "records:read"],
                actor=former,
            )
            org_services.member_change_role(
                organization=org, actor=owner, acting_key=None, user=former, role=Role.MEMBER
            )
            return client
        if caller == "removed key":
            leaver = MembershipFactory(
                organization=org, role=Role.ADMIN, user=UserFactory(email="leaver@example.com")
            ).user
            client = key_client(scopes=["api_keys:manage", "members:manage"], actor=leaver)
            org_services.member_remove(organization=org, actor=owner, acting_key=None, user=leaver)
            return client
        client = APIClient()
        user = "bare_staff" if caller == "bare staff" else caller
        client.force_login(request.getfixturevalue(user))
        return client

    return make


@pytest.fixture
def world(org, owner, admin, member, staff, make_key):
    """The objects the calls name: a target key, a paused one, a default one, a member, a
    pending invitation."""
    target, _ = make_key(name="Target")
    paused, _ = make_key(name="Paused")
    services.api_key_pause(key=paused, actor=owner, acting_key=None)
    default, _ = make_key(name="Default")
    services.api_key_set_default(key=default, actor=owner, acting_key=None)
    newcomer = UserFactory(email="newcomer@example.com")
    invitation = org_services.invitation_create(
        organization=org,
        actor=owner,
        acting_key=None,
        email="invited@example.com",
        role=Role.MEMBER,
        site_url="http://testserver",
    )
    return {
        "org": org.pk,
        "owner": owner.pk,
        "member": member.pk,
        "key": target.pk,
        "paused": paused.pk,
        "default": default.pk,
        "newcomer": newcomer.email,
        "invitation": invitation.pk,
    }


def _row(method, url, body, statuses: str):
    """`statuses`: one HTTP status per caller, in the order of CALLERS, but the removed
    creator's key, which every endpoint refuses with 401."""
    codes = [int(code) for code in statuses.split()] + [401]
    return method, url, body, dict(zip(CALLERS, codes, strict=True))


# Reading the organization: sessions, and keys with organization:read or a manage scope.
READ_ORG = "200 200 200 200 200 200 200 200 403 403 403"
# Changing members: managers' sessions and members:manage keys, never api_keys:manage alone.
MEMBERS = "{0} {0} 403 {0} {0} 403 403 {0} 403 403 403"
# Managing keys: managers' sessions, staff with the key permissions, api_keys:manage keys.
KEYS = "{0} {0} 403 {0} 403 {0} {0} 403 403 403 403"
KEY_READS = "200 200 200 200 200 200 200 403 403 403 403"

# (method, url, body, expected status per caller)
ENDPOINTS = {
    "me": _row("get", "/api/auth/me/", None, " ".join(["200"] * (len(CALLERS) - 1))),
    "list organizations": _row("get", "/api/organizations/", None, READ_ORG),
    "read organization": _row("get", "/api/organizations/{org}/", None, READ_ORG),
    "list members": _row("get", "/api/organizations/{org}/members/", None, READ_ORG),
    "read member": _row("get", "/api/organizations/{org}/members/{owner}/", None, READ_ORG),
    "list invitations": _row(
        "get", "/api/organizations/{org}/invitations/", None, MEMBERS.format(200)
    ),
    "invite": _row(
        "post",
        "/api/organizations/{org}/invitations/",
        {"email": "{newcomer}", "role": "member"},
        MEMBERS.format(201),
    ),
    "resend invitation": _row(
        "post",
        "/api/organizations/{org}/invitations/{invitation}/resend/",
        None,
        MEMBERS.format(200),
    ),
    "revoke invitation": _row(
        "delete", "/api/organizations/{org}/invitations/{invitation}/", None, MEMBERS.format(204)
    ),
    "change role": _row(
        "patch",
        "/api/organizations/{org}/members/{member}/",
        {"role": "admin"},
        MEMBERS.format(200),
    ),
    "remove member": _row(
        "delete", "/api/organizations/{org}/members/{member}/", None, MEMBERS.format(204)
    ),
    "list keys": _row("get", "/api/api-keys/", None, KEY_READS),
    "create key": _row(
        "post",
        "/api/api-keys/",
        {"name": "New", "organization_id": "{org}", "scopes": ["api_keys:manage"]},
        KEYS.format(201),
    ),
    "read key": _row("get", "/api/api-keys/{key}/", None, KEY_READS),
    "rename key": _row("patch", "/api/api-keys/{key}/", {"name": "Renamed"}, KEYS.format(200)),
    "revoke key": _row("delete", "/api/api-keys/{key}/", None, KEYS.format(204)),
    "pause": _row("post", "/api/api-keys/{key}/pause/", None, KEYS.format(200)),
    "resume": _row("post", "/api/api-keys/{paused}/resume/", None, KEYS.format(200)),
    "set default": _row("post", "/api/api-keys/{key}/set-default/", None, KEYS.format(200)),
    "remove default": _row(
        "post", "/api/api-keys/{default}/remove-default/", None, KEYS.format(200)
    ),
    "rotate": _row("post", "/api/api-keys/{key}/rotate/", {}, KEYS.format(201)),
    "a user's keys": _row(
        "get",
        "/api/users/{owner}/api-keys/",
        None,
        "200 200 404 200 200 200 200 403 403 403 403",
    ),
    "audit events": _row(
        "get",
        "/api/audit-events/?organization_id={org}",
        None,
        "200 200 403 200 200 403 403 403 200 403 403",
    ),
}


def _fill(value, names):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_caller_gets_the_answer_its_role_and_scopes_allow(
    request, client_for, world, caller, endpoint
):
    method, url, body, expected = ENDPOINTS[endpoint]
    client = client_for(caller, request)

    response = getattr(client, method)(_fill(url, world), _fill(body, world), format="json")

    assert response.status_code == expected[caller], response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"detail"}
