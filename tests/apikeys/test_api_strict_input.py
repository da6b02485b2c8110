"""Nothing is silently dropped: unknown fields and query parameters are 400s naming each one.

Integrators arrive with code written for other vendors' APIs; a name Keyportal does not
know must never be ignored (an ignored `expiresAt` made a key that never expires), and
where it is another vendor's spelling of a Keyportal field the refusal names ours.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from apikeys.api.serializers.keys import ONLY_NAME_CHANGES
from apikeys.models import APIKey, KeyStatus
from core.api.aliases import CREDENTIAL_IN_URL
from core.api.strict import PARAMETER_REPEATED, StrictInput
from core.models import AuditEvent
from organizations.api.serializers import ONLY_ROLE_CHANGES
from organizations.api.views import TRANSFER_TO_TWICE
from organizations.models import Membership, Role
from tests.helpers import KEYS, detail, signed_in

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "Unknown field."
UNKNOWN_PARAMETER = "Unknown query parameter."


def use(name: str, kind: str = "field") -> list[str]:
    return [f'Unknown {kind}. Use "{name}".']


def use_param(name: str) -> list[str]:
    return use(name, "query parameter")


@pytest.fixture(params=["session", "key"])
def manager_client(request, owner, key_client):
    """An owner's session, or a key that manages keys."""
    if request.param == "key":
        return key_client(scopes=["api_keys:manage", "members:manage", "audit:read"])
    return signed_in(owner)


def nothing_changed(keys_before: int, events_before: int) -> bool:
    return (APIKey.objects.count(), AuditEvent.objects.count()) == (keys_before, events_before)


# Bodies -----------------------------------------------------------------------------------


def test_nxvets_create_body_is_refused_naming_each_field_to_use_instead(manager_client, org):
    # Before: 201 with `expires_at: null`, a key meant to expire that never does.
    before = (APIKey.objects.count(), AuditEvent.objects.count())
    body = {
        "name": "Production Integration",
        "organizationId": str(org.pk),
        "expiresAt": "2099-01-01T00:00:00Z",
    }

    response = manager_client.post(KEYS, body, format="json")

    assert response.status_code == 400
    data = response.json()
    assert data["organizationId"] == use("organization_id")
    assert data["expiresAt"] == use("expires_at")
    assert data["detail"] == 'organizationId: Unknown field. Use "organization_id".'
    assert nothing_changed(*before)


def test_nuxeras_type_test_no_longer_makes_a_live_key(manager_client, org):
    body = {"name": "Sandbox", "organization_id": str(org.pk), "type": "test", "status": "active"}

    response = manager_client.post(KEYS, body, format="json")

    assert response.status_code == 400
    assert response.json()["type"] == use("mode")
    assert response.json()["status"] == [UNKNOWN_FIELD]
    assert not APIKey.objects.filter(name="Sandbox").exists()


@pytest.mark.parametrize(
    ("alias", "value", "ours"),
    [
        ("expiry_at", "2099-01-01T00:00:00Z", "expires_at"),  # Nuxera AI
        ("exp", 4102444800, "expires_at"),  # Nexus
        ("permissions", ["read", "write"], "scopes"),  # Nexus
        ("clinic_id", "{org}", "organization_id"),  # NovaMed
        ("clinicId", "{org}", "organization_id"),
        ("keyType", "test", "mode"),
        ("label", "Lab sync", "name"),
    ],
)
def test_other_vendors_spellings_in_a_create_name_keyportals_field(owner, org, alias, value, ours):
    value = value.format(org=org.pk) if isinstance(value, str) else value
    body = {"name": "Valid", "organization_id": str(org.pk), alias: value}

    response = signed_in(owner).post(KEYS, body, format="json")

    assert response.status_code == 400
    assert response.json()[alias] == use(ours)
    assert not APIKey.objects.exists()


def test_unknown_fields_are_named_together_with_invalid_known_ones(owner, org):
    body = {"name": "", "organization_id": str(org.pk), "colour": "blue", "keyPrefix": "kp"}

    response = signed_in(owner).post(KEYS, body, format="json")

    data = response.json()
    assert response.status_code == 400
    assert data["colour"] == [UNKNOWN_FIELD]
    assert data["keyPrefix"] == [
        'Unknown field. Keyportal calls it "prefix", and this endpoint does not take it.'
    ]
    assert data["name"] == ["Give the key a name."]


def test_a_camel_case_spelling_of_a_field_is_pointed_to_the_snake_case_one(owner, make_key):
    key, _ = make_key()

    response = signed_in(owner).post(
        f"{detail(key)}rotate/", {"gracePeriodSeconds": 3600}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["gracePeriodSeconds"] == use("grace_period_seconds")
    key.refresh_from_db()
    assert not key.is_rotated


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("pause", {"reason": "maintenance"}),
        ("resume", {"status": "active"}),
        ("set-default", {"id": "1", "old_id": "2"}),  # Nuxera AI's setDefault body
        ("remove-default", {"id": "1"}),
    ],
)
def test_actions_that_take_no_body_refuse_one(manager_client, make_key, action, body):
    key, _ = make_key()
    before = AuditEvent.objects.count()

    response = manager_client.post(f"{detail(key)}{action}/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail", *body}
    assert all(
        messages == [UNKNOWN_FIELD]
        for name, messages in response.json().items()
        if name != "detail"
    )
    key.refresh_from_db()
    assert (key.status, key.is_default) == (KeyStatus.ACTIVE, False)
    assert AuditEvent.objects.count() == before


def test_a_revoke_with_a_body_is_refused_and_the_key_keeps_working(manager_client, make_key):
    key, raw = make_key()

    response = manager_client.delete(detail(key), {"reason": "compromised"}, format="json")

    assert response.status_code == 400
    assert response.json()["reason"] == [UNKNOWN_FIELD]
    still = APIClient()
    still.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert still.get("/api/auth/me/").status_code == 200


def test_an_empty_body_or_none_still_works_for_the_actions(owner, make_key):
    key, _ = make_key()
    client = signed_in(owner)

    assert client.post(f"{detail(key)}pause/", {}, format="json").status_code == 200
    assert client.post(f"{detail(key)}resume/").status_code == 200
    assert client.delete(detail(key)).status_code == 204


def test_a_rename_names_the_unknown_fields_and_keeps_its_summary(owner, make_key):
    key, _ = make_key(name="Old")

    response = signed_in(owner).patch(
        detail(key), {"name": "New", "isActive": False}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == ONLY_NAME_CHANGES.format(fields="isActive")
    assert response.json()["isActive"] == [
        'Unknown field. Keyportal calls it "status", and this endpoint does not take it.'
    ]
    key.refresh_from_db()
    assert key.name == "Old"


# Member bodies ------------------------------------------------------------------------------


def test_changing_a_role_names_the_unknown_fields_and_changes_nothing(owner, admin, org):
    response = signed_in(owner).patch(
        f"/api/organizations/{org.pk}/members/{admin.pk}/",
        {"role": "member", "permissions": ["read"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == ONLY_ROLE_CHANGES.format(fields="permissions")
    assert response.json()["permissions"] == [
        'Unknown field. Keyportal calls it "scopes", and this endpoint does not take it.'
    ]
    assert Membership.objects.get(organization=org, user=admin).role == Role.ADMIN


def test_removing_a_member_refuses_unknown_parameters_and_keeps_them(owner, admin, org):
    url = f"/api/organizations/{org.pk}/members/{admin.pk}/"

    response = signed_in(owner).delete(f"{url}?transferTo={owner.pk}")

    assert response.status_code == 400
    assert response.json()["transferTo"] == use_param("transfer_to")
    assert Membership.objects.filter(organization=org, user=admin).exists()


def test_transfer_to_in_both_query_and_body_is_refused(owner, admin, member, org):
    url = f"/api/organizations/{org.pk}/members/{admin.pk}/?transfer_to={owner.pk}"

    response = signed_in(owner).delete(url, {"transfer_to": str(member.pk)}, format="json")

    assert response.status_code == 400
    assert response.json()["transfer_to"] == [TRANSFER_TO_TWICE]
    assert Membership.objects.get(organization=org, user=admin).role == Role.ADMIN


# Query strings ------------------------------------------------------------------------------


def test_nuxeras_type_filter_is_refused_instead_of_listing_every_key(manager_client, make_key):
    # Before: `?type=test` was ignored and the live keys came back as if they were test keys.
    make_key(name="Live")

    response = manager_client.get(KEYS + "?type=test")

    assert response.status_code == 400
    assert response.json() == {
        "detail": 'type: Unknown query parameter. Use "mode".',
        "type": use_param("mode"),
    }


@pytest.mark.parametrize(
    ("query", "name", "messages"),
    [
        ("isRevoked=true", "isRevoked", use_param("status")),  # NxVET
        ("revoked=1", "revoked", use_param("status")),
        ("page=2", "page", use_param("offset")),
        ("page_size=10", "page_size", use_param("limit")),
        ("expiresAt=2099-01-01", "expiresAt", None),
        ("sort=name", "sort", [UNKNOWN_PARAMETER]),
        ("token=abc", "token", [CREDENTIAL_IN_URL]),  # Nexora's WebSocket spelling
    ],
)
def test_list_filters_other_vendors_use_are_refused_with_a_hint(owner, query, name, messages):
    response = signed_in(owner).get(f"{KEYS}?{query}")

    assert response.status_code == 400
    assert set(response.json()) == {"detail", name}
    if messages is not None:
        assert response.json()[name] == messages


def test_each_unknown_parameter_is_named(owner):
    response = signed_in(owner).get(KEYS + "?type=test&userId=1&colour=blue&status=active")

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "type", "userId", "colour"}


def test_the_documented_filters_paging_and_format_stay_allowed(owner, org, make_key):
    make_key(name="Test key", mode="test")
    query = f"organization_id={org.pk}&status=active&mode=test&search=Test&limit=5&offset=0"

    response = signed_in(owner).get(f"{KEYS}?{query}&format=json")

    assert response.status_code == 200
    assert [k["name"] for k in response.json()["results"]] == ["Test key"]


def test_a_repeated_parameter_is_refused_rather_than_one_value_dropped(owner):
    response = signed_in(owner).get(KEYS + "?status=active&status=revoked")

    assert response.status_code == 400
    assert response.json()["status"] == [PARAMETER_REPEATED]


@pytest.mark.parametrize(
    "url",
    [
        "/api/auth/me/?verbose=1",
        "/api/organizations/?name=Happy",
        "/api/organizations/{org}/?expand=members",
        "/api/organizations/{org}/members/?role=admin",
        "/api/api-keys/{key}/?limit=10",
        "/api/audit-events/?organization_id={org}&actionType=key.created",
        "/api/users/{user}/api-keys/?userId={user}",
    ],
)
def test_every_read_refuses_parameters_it_does_not_take(owner, org, make_key, url):
    key, _ = make_key()

    response = signed_in(owner).get(url.format(org=org.pk, key=key.pk, user=owner.pk))

    assert response.status_code == 400
    assert response.json()["detail"].split(": ", 1)[1].startswith("Unknown query parameter.")


def test_a_stranger_gets_a_401_before_any_word_about_parameters(api_client):
    response = api_client.get(KEYS + "?type=test")

    assert response.status_code == 401


# The organization: `organization_id` is the only name ----------------------------------------


@pytest.mark.parametrize("alias", ["organizationId", "clinic_id", "clinicId"])
@pytest.mark.parametrize(
    "url", [KEYS, "/api/audit-events/", "/api/users/me/api-keys/", "/api/auth/me/"]
)
def test_organization_aliases_in_a_query_are_refused_naming_organization_id(
    manager_client, org, alias, url
):
    response = manager_client.get(f"{url}?{alias}={org.pk}")

    assert response.status_code == 400
    expected = (
        [
            'Unknown query parameter. Keyportal calls it "organization_id", and this endpoint '
            "does not take it."
        ]
        if url == "/api/auth/me/"
        else use_param("organization_id")
    )
    assert response.json()[alias] == expected


@pytest.mark.parametrize("alias", ["organizationId", "clinic_id"])
def test_an_organization_alias_naming_another_organization_changes_nothing(
    key_client, other_org, alias
):
    client = key_client()
    before = (APIKey.objects.count(), AuditEvent.objects.count())

    response = client.post(KEYS, {"name": "Elsewhere", alias: str(other_org.pk)}, format="json")

    assert response.status_code == 400
    assert response.json()[alias] == use("organization_id")
    assert nothing_changed(*before)


@pytest.mark.urls("tests.apikeys.downstream")
@pytest.mark.parametrize(
    ("method", "alias"), [("get", "organizationId"), ("get", "clinic_id"), ("post", "clinicId")]
)
def test_downstream_views_refuse_organization_aliases_rather_than_leave_them_unchecked(
    key_client, org, method, alias
):
    # HasOrganizationAccess used to check these spellings; a downstream view still reading
    # one must not see an organization the check skipped.
    client = key_client(scopes=["records:read"])
    if method == "get":
        response = client.get(f"/records/?{alias}={org.pk}")
    else:
        response = client.post("/records/", {alias: str(org.pk)}, format="json")

    assert response.status_code == 400
    kind = "query parameter" if method == "get" else "field"
    assert response.json()[alias] == use("organization_id", kind)


# Every API view takes part, and the schema says what each accepts ---------------------------


def _api_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and prefix.startswith("api/"):
            view = getattr(pattern.callback, "cls", None)
            if view is not None:
                yield prefix + str(pattern.pattern), view


def test_every_api_view_refuses_unknown_input():
    documentation = {"schema/", "docs/"}
    lax = [
        (route, view.__name__)
        for route, view in _api_views(get_resolver().url_patterns)
        if not issubclass(view, StrictInput) and not route.endswith(tuple(documentation))
    ]

    assert lax == []


def test_the_schema_documents_the_parameters_each_list_accepts(owner):
    schema = APIClient().get("/api/schema/?format=json").json()
    lists = {
        "/api/api-keys/": {"organization_id", "status", "mode", "search", "limit", "offset"},
        "/api/users/me/api-keys/": {
            "organization_id",
            "status",
            "mode",
            "search",
            "limit",
            "offset",
        },
        "/api/audit-events/": {
            "organization_id",
            "api_key",
            "action",
            "since",
            "until",
            "limit",
            "offset",
        },
        "/api/organizations/": {"limit", "offset"},
    }
    for path, expected in lists.items():
        parameters = schema["paths"][path]["get"]["parameters"]
        assert {p["name"] for p in parameters if p["in"] == "query"} == expected, path
    remove = schema["paths"]["/api/organizations/{id}/members/{user_id}/"]["delete"]
    assert {p["name"] for p in remove["parameters"] if p["in"] == "query"} == {"transfer_to"}


def test_every_request_body_in_the_schema_refuses_additional_properties():
    schema = APIClient().get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            if path == "/api/secret-scanning/github/":
                continue  # GitHub's format: a field GitHub adds must not stop a revocation
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            body = components[ref.rsplit("/", 1)[1]]
            assert body.get("additionalProperties") is False, (method, path)


def test_head_takes_the_parameters_of_get(owner, org):
    client = signed_in(owner)

    audit = client.head(f"/api/audit-events/?organization_id={org.pk}")
    keys = client.head(f"{KEYS}?mode=test&limit=1")
    unknown = client.head(f"{KEYS}?type=test")

    assert (audit.status_code, keys.status_code, unknown.status_code) == (200, 200, 400)
