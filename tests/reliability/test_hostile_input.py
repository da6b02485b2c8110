"""Hostile input: each a clear 4xx with a JSON `detail`, never a 500, and nothing changes."""

import pytest
from rest_framework.test import APIClient

from apikeys.authentication import CONFLICTING_KEYS, INVALID_KEY, KEY_IN_URL, KEY_MISTYPED
from apikeys.models import APIKey
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
def test_bad_fields_are_400_with_a_field_map_and_change_nothing(key_client, body, field):
    client = key_client(scopes=["api_keys:manage", "records:read"])
    before_keys, before_events = APIKey.objects.count(), AuditEvent.objects.count()
    response = client.post("/api/api-keys/", body, format="json")
    assert_clear_4xx(response, 400)
    assert field in response.json()
    assert (APIKey.objects.count(), AuditEvent.objects.count()) == (before_keys, before_events)


@pytest.mark.parametrize("grace", [-1, 86401, "soon", 1.5, None, [60]])
def test_bad_grace_periods_are_400(key_client, make_key, grace):
    key, _ = make_key()
    response = key_client().post(
        f"/api/api-keys/{key.pk}/rotate/", {"grace_period_seconds": grace}, format="json"
    )
    if grace is None:  # explicit null means "no grace period"
        assert response.status_code == 201
        return
    assert_clear_4xx(response, 400)
    key.refresh_from_db()
    assert not key.is_rotated


def test_a_json_body_that_is_not_an_object_is_a_400(key_client):
    assert_clear_4xx(key_client().post("/api/api-keys/", [1, 2], format="json"), 400)


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
