"""Hostile input: each a clear 4xx with a JSON `detail`, never a 500, and nothing changes."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apikeys.authentication import CONFLICTING_KEYS, INVALID_KEY, KEY_IN_URL, KEY_MISTYPED
from apikeys.models import APIKey
from core.api.aliases import MAX_REPORTED
from core.api.parsers import JSON_TOO_DEEP
from core.middleware import LENGTH_REQUIRED
from core.models import AuditEvent
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

ME = "/api/auth/me/"


def assert_clear_4xx(response, status=None):
    assert 400 <= response.status_code < 500, response.content[:300]
    if status is not None:
        assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "k" * 65536,
        "kp_live_" + "Z" * 65536,
        "kp_live_ключ",
        "kp_live_\t\x01\x7f",
        "Bearer",
        "null",
    ],
)
@pytest.mark.parametrize("header", ["HTTP_X_API_KEY", "HTTP_API_KEY", "HTTP_AUTHORIZATION"])
def test_garbage_key_headers_are_401_invalid_key(header, value):
    if header == "HTTP_AUTHORIZATION":
        value = f"Bearer {value}"
    response = APIClient().get(ME, **{header: value})
    assert_clear_4xx(response, 401)
    assert response.json()["detail"] == INVALID_KEY


@pytest.mark.parametrize("header", ["HTTP_X_API_KEY", "HTTP_API_KEY", "HTTP_AUTHORIZATION"])
def test_a_key_shaped_value_with_a_bad_checksum_is_401_mistyped(header):
    value = "kp_live_" + "0" * 49
    if header == "HTTP_AUTHORIZATION":
        value = f"Bearer {value}"
    response = APIClient().get(ME, **{header: value})
    assert_clear_4xx(response, 401)
    assert response.json()["detail"] == KEY_MISTYPED


def test_two_different_keys_in_one_request_are_a_400(key_client, make_key):
    _, other = make_key()
    client = key_client()
    response = client.get(ME, HTTP_X_API_KEY=other)
    assert_clear_4xx(response, 400)
    assert response.json()["detail"] == CONFLICTING_KEYS


def test_a_key_in_the_query_string_is_refused_even_alone(key_client):
    raw = key_client().raw
    response = APIClient().get(ME, {"api_key": raw})
    assert_clear_4xx(response, 400)
    assert response.json()["detail"] == KEY_IN_URL


@pytest.mark.parametrize(
    "path",
    [
        "/api/api-keys/not-a-uuid/",
        "/api/api-keys/00000000-0000-0000-0000-000000000000/",
        "/api/organizations/123/",
        "/api/organizations/not-a-uuid/members/",
        "/api/users/zzz/api-keys/",
        "/api/api-keys/%00/pause/",
        "/api/users/me/api-keys/not-a-uuid/",
        "/api/users/me/api-keys/not-a-uuid/rotate/",
        "/api/users/me/api-keys/%00/",
        "/api/users/me/api-keys/../../auth/me/",
    ],
)
def test_invalid_or_unknown_ids_in_paths_are_json_404s(key_client, path):
    assert_clear_4xx(key_client().get(path), 404)


def test_malformed_json_is_a_400_and_creates_nothing(key_client):
    client = key_client()
    before = APIKey.objects.count()
    response = client.generic(
        "POST", "/api/api-keys/", '{"name": "x",', content_type="application/json"
    )
    assert_clear_4xx(response, 400)
    assert APIKey.objects.count() == before


def test_a_wrong_content_type_is_a_415(key_client):
    response = key_client().generic(
        "POST", "/api/api-keys/", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert_clear_4xx(response, 415)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x" * 101}, "name"),
        ({"name": ""}, "name"),
        ({"name": "ok", "scopes": ["root:everything"]}, "scopes"),
        ({"name": "ok", "scopes": "records:read"}, "scopes"),
        ({"name": "ok", "mode": "production"}, "mode"),
        ({"name": "ok", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "ok", "expires_at": "next tuesday"}, "expires_at"),
        ({"name": "ok", "expires_at": "31/12/2099"}, "expires_at"),
        ({"name": "ok", "expires_at": 4102444800}, "expires_at"),
        ({"name": ["a", "b"]}, "name"),
    ],
)
@pytest.mark.parametrize("url", ["/api/api-keys/", "/api/users/me/api-keys/"])
def test_bad_fields_are_400_with_a_field_map_and_change_nothing(key_client, url, body, field):
    client = key_client(scopes=["api_keys:manage", "records:read"])
    before_keys, before_events = APIKey.objects.count(), AuditEvent.objects.count()
    response = client.post(url, body, format="json")
    assert_clear_4xx(response, 400)
    assert field in response.json()
    assert (APIKey.objects.count(), AuditEvent.objects.count()) == (before_keys, before_events)


@pytest.mark.parametrize("grace", [-1, 86401, "soon", 1.5, None, [60]])
@pytest.mark.parametrize(
    "url", ["/api/api-keys/{key}/rotate/", "/api/users/me/api-keys/{key}/rotate/"]
)
def test_bad_grace_periods_are_400(key_client, make_key, grace, url):
    key, _ = make_key()
    response = key_client().post(
        url.format(key=key.pk), {"grace_period_seconds": grace}, format="json"
    )
    if grace is None:  # explicit null means "no grace period"
        assert response.status_code == 201
        return
    assert_clear_4xx(response, 400)
    key.refresh_from_db()
    assert not key.is_rotated


@pytest.mark.parametrize(
    "url", ["/api/api-keys/", "/api/users/me/api-keys/", "/api/users/me/api-keys/{key}/rotate/"]
)
@pytest.mark.parametrize("body", [[1, 2], "name", 42, None])
def test_a_json_body_that_is_not_an_object_is_a_400(key_client, make_key, url, body):
    key, _ = make_key()
    before = APIKey.objects.count()

    response = key_client().generic(
        "POST", url.format(key=key.pk), json.dumps(body), content_type="application/json"
    )

    assert_clear_4xx(response, 400)
    assert APIKey.objects.count() == before + 1  # only key_client's own key


def test_unknown_methods_are_json_405s(key_client):
    response = key_client().put(ME, {}, format="json")
    assert_clear_4xx(response, 405)


def test_json_nested_a_thousand_deep_is_a_400_and_creates_nothing(owner, org):
    body = "[" * 1000 + "]" * 1000

    response = signed_in(owner).generic(
        "POST", "/api/api-keys/", body, content_type="application/json"
    )

    assert_clear_4xx(response, 400)
    assert response.json()["detail"] == JSON_TOO_DEEP
    assert not APIKey.objects.exists()


def test_a_chunked_body_without_a_length_is_refused_with_411_not_read_as_empty(owner, org):
    response = signed_in(owner).generic(
        "POST",
        "/api/api-keys/",
        b'{"name": "Chunked", "organization_id": "%s"}' % str(org.pk).encode(),
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )

    assert_clear_4xx(response, 411)
    assert response.json()["detail"] == LENGTH_REQUIRED
    assert not APIKey.objects.exists()


# Unknown names: whatever a client invents, a 400 naming it, never a 500 or a change ----------

ACCEPTED_IN_A_CREATE = {"name", "organization_id", "mode", "scopes", "expires_at"}
ACCEPTED_IN_A_LIST = {"organization_id", "status", "mode", "search", "limit", "offset", "format"}
NAMES = st.text(min_size=1, max_size=300).filter(lambda name: "\x00" not in name)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=st.dictionaries(NAMES, st.one_of(st.none(), st.text(max_size=50)), min_size=1))
@pytest.mark.parametrize("url", ["/api/api-keys/", "/api/users/me/api-keys/"])
def test_any_unknown_body_field_is_named_and_creates_nothing(key_client, url, extra):
    extra = {name: value for name, value in extra.items() if name not in ACCEPTED_IN_A_CREATE}
    client = key_client()
    before = (APIKey.objects.count(), AuditEvent.objects.count())

    response = client.post(url, {"name": "Fuzzed", **extra}, format="json")

    if not extra:
        assert response.status_code == 201
        return
    assert_clear_4xx(response, 400)
    named = set(response.json()) - {"detail"}
    assert named and all(name in extra or name.endswith("…") for name in named)
    assert (APIKey.objects.count(), AuditEvent.objects.count()) == before


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES, value=st.text(max_size=50))
@pytest.mark.parametrize("url", ["/api/api-keys/", "/api/users/me/api-keys/", "/api/auth/me/"])
def test_any_unknown_query_parameter_is_a_400_never_a_500(key_client, url, name, value):
    client = key_client()
    response = client.get(url, {name: value})

    if (name in ACCEPTED_IN_A_LIST and url != "/api/auth/me/") or name == "format":
        assert response.status_code in (200, 400)
        return
    assert_clear_4xx(response, 400)


def test_thousands_of_unknown_fields_get_a_bounded_answer(key_client):
    body = {"name": "Flood", **{f"field{n}": n for n in range(5000)}}

    response = key_client().post("/api/api-keys/", body, format="json")

    assert_clear_4xx(response, 400)
    assert len(response.json()) <= MAX_REPORTED + 1
    assert len(response.content) < 5000


def test_a_credential_sent_as_a_field_name_is_refused_and_nothing_is_created(key_client):
    client = key_client()

    response = client.post("/api/api-keys/", {"name": "x", client.raw: "1"}, format="json")

    assert_clear_4xx(response, 400)
    assert list(APIKey.objects.all()) == [client.key]


@pytest.mark.parametrize(
    ("body", "query"),
    [([1, 2], ""), ('"name"', ""), ("42", ""), ('{"user_id": "x"}', ""), ("{}", "?ticket=x")],
)
def test_a_websocket_ticket_is_minted_only_for_an_empty_request(key_client, body, query):
    body = body if isinstance(body, str) else json.dumps(body)

    response = key_client().generic(
        "POST", f"/api/ws-tickets/{query}", body, content_type="application/json"
    )

    assert_clear_4xx(response, 400)
    assert "expires_in" not in response.json()  # no ticket was minted
