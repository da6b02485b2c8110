"""Every endpoint, called by every kind of caller: the answer each one gets.

Callers: the organization's owner, admin and member (sessions), staff (no membership), a key
holding `api_keys:manage`, and a key holding only `records:read`. Both keys were created by
the owner, so they act as the owner.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apikeys import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CALLERS = ("owner", "admin", "member", "staff", "manage key", "plain key")


@pytest.fixture
def client_for(key_client):
    def make(caller: str, request) -> APIClient:
        if caller == "manage key":
            return key_client(scopes=["api_keys:manage"])
        if caller == "plain key":
            return key_client(scopes=["records:read"])
        client = APIClient()
        client.force_login(request.getfixturevalue(caller))
        return client

    return make


@pytest.fixture
def world(org, owner, admin, member, staff, make_key):
    """The objects the calls name: a target key, a paused one, a default one, a member."""
    target, _ = make_key(name="Target")
    paused, _ = make_key(name="Paused")
    services.api_key_pause(key=paused, actor=owner)
    default, _ = make_key(name="Default")
    services.api_key_set_default(key=default, actor=owner)
    newcomer = UserFactory(email="newcomer@example.com")
    return {
        "org": org.pk,
        "owner": owner.pk,
        "member": member.pk,
        "key": target.pk,
        "paused": paused.pk,
        "default": default.pk,
        "newcomer": newcomer.email,
    }


def _row(method, url, body, *statuses):
    return method, url, body, dict(zip(CALLERS, statuses, strict=True))


# (method, url, body, expected status per caller)
ENDPOINTS = {
    "me": _row("get", "/api/auth/me/", None, 200, 200, 200, 200, 200, 200),
    "list organizations": _row("get", "/api/organizations/", None, 200, 200, 200, 200, 200, 403),
    "read organization": _row(
        "get", "/api/organizations/{org}/", None, 200, 200, 200, 200, 200, 403
    ),
    "list members": _row(
        "get", "/api/organizations/{org}/members/", None, 200, 200, 200, 200, 200, 403
    ),
    "read member": _row(
        "get", "/api/organizations/{org}/members/{owner}/", None, 200, 200, 200, 200, 200, 403
    ),
    "add member": _row(
        "post",
        "/api/organizations/{org}/members/",
        {"email": "{newcomer}", "role": "member"},
        201,
        201,
        403,
        201,
        201,
        403,
    ),
    "change role": _row(
        "patch",
        "/api/organizations/{org}/members/{member}/",
        {"role": "admin"},
        200,
        200,
        403,
        200,
        200,
        403,
    ),
    "remove member": _row(
        "delete", "/api/organizations/{org}/members/{member}/", None, 204, 204, 403, 204, 204, 403
    ),
    "list keys": _row("get", "/api/api-keys/", None, 200, 200, 200, 200, 200, 403),
    "create key": _row(
        "post",
        "/api/api-keys/",
        {"name": "New", "organization_id": "{org}", "scopes": ["api_keys:manage"]},
        201,
        201,
        403,
        201,
        201,
        403,
    ),
    "read key": _row("get", "/api/api-keys/{key}/", None, 200, 200, 200, 200, 200, 403),
    "rename key": _row(
        "patch", "/api/api-keys/{key}/", {"name": "Renamed"}, 200, 200, 403, 200, 200, 403
    ),
    "revoke key": _row("delete", "/api/api-keys/{key}/", None, 204, 204, 403, 204, 204, 403),
    "pause": _row("post", "/api/api-keys/{key}/pause/", None, 200, 200, 403, 200, 200, 403),
    "resume": _row("post", "/api/api-keys/{paused}/resume/", None, 200, 200, 403, 200, 200, 403),
    "set default": _row(
        "post", "/api/api-keys/{key}/set-default/", None, 200, 200, 403, 200, 200, 403
    ),
    "remove default": _row(
        "post", "/api/api-keys/{default}/remove-default/", None, 200, 200, 403, 200, 200, 403
    ),
    "rotate": _row("post", "/api/api-keys/{key}/rotate/", {}, 201, 201, 403, 201, 201, 403),
    "a user's keys": _row(
        "get", "/api/users/{owner}/api-keys/", None, 200, 200, 404, 200, 200, 403
    ),
    "audit events": _row(
        "get", "/api/audit-events/?organization_id={org}", None, 200, 200, 403, 200, 200, 403
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
