"""Every error under /api/ is JSON `{"detail": ...}` with the request's X-Request-ID."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

from apikeys.authentication import CONFLICTING_KEYS, KEY_IN_URL
from apikeys.models import APIKey
from core.api.negotiation import FORMAT_UNSUPPORTED
from portal.urls import api_patterns
from tests.helpers import assert_json_error, signed_in

pytestmark = pytest.mark.django_db


class Boom(APIView):
    """A view that fails unexpectedly, standing in for any bug."""

    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("unexpected")


# This module doubles as a URLconf for the 500 test: the API plus one failing view.
urlpatterns = [
    path("api/boom/", Boom.as_view()),
    path("api/", include(api_patterns)),
]
handler500 = "portal.errors.server_error"


@pytest.mark.parametrize(
    "url",
    [
        "/api/nothing-here/",
        "/api/api-keys/not-a-uuid/",
        "/api/api-keys/not-a-uuid/pause/",
        "/api/organizations/123/",
        "/api/organizations/123/members/",
        "/api/users/abc/api-keys/",
    ],
)
def test_unknown_paths_and_invalid_uuids_are_json_404s(owner, url):
    assert_json_error(signed_in(owner).get(url), 404)


def test_an_unsupported_method_is_a_json_405(owner):
    body = assert_json_error(signed_in(owner).delete("/api/api-keys/"), 405)

    assert body["detail"] == 'Method "DELETE" not allowed.'


@pytest.mark.urls(__name__)
def test_an_unexpected_failure_is_a_json_500_quoting_the_request_id():
    client = Client(raise_request_exception=False)

    response = client.get("/api/boom/", HTTP_X_REQUEST_ID="incident-1")

    body = assert_json_error(response, 500)
    assert response["X-Request-ID"] == "incident-1"
    assert "X-Request-ID" in body["detail"]
    assert "RuntimeError" not in response.content.decode()


def test_an_unauthenticated_call_is_a_json_401_with_the_request_id(api_client):
    response = api_client.get("/api/api-keys/", HTTP_X_REQUEST_ID="abc-123")

    assert_json_error(response, 401)
    assert response["X-Request-ID"] == "abc-123"


def test_two_different_keys_in_one_request_are_a_400(make_key):
    _, first = make_key()
    _, second = make_key()

    response = APIClient().get(
        "/api/auth/me/", HTTP_AUTHORIZATION=f"Bearer {first}", HTTP_X_API_KEY=second
    )

    assert assert_json_error(response, 400) == {"detail": CONFLICTING_KEYS}


def test_a_key_in_the_query_string_is_refused(make_key):
    _, raw = make_key()

    response = APIClient().get(f"/api/auth/me/?api_key={raw}")

    assert assert_json_error(response, 400) == {"detail": KEY_IN_URL}
    assert raw not in response.content.decode()


def test_the_rate_limit_answers_a_json_429_with_retry_after(key_client, settings):
    settings.APIKEYS_RATE_PER_MINUTE = 2
    client = key_client()

    statuses = [client.get("/api/auth/me/").status_code for _ in range(3)]
    response = client.get("/api/auth/me/")

    assert statuses == [200, 200, 429]
    assert_json_error(response, 429)
    assert int(response["Retry-After"]) > 0


def test_paths_also_answer_without_the_trailing_slash(key_client):
    client = key_client()
    client.handler.enforce_csrf_checks = True

    me = client.get("/api/auth/me")
    created = client.post("/api/api-keys", {"name": "No slash"}, format="json")

    assert me.status_code == 200 and me.json()["auth_method"] == "api_key"
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"


def test_the_slashless_alias_still_enforces_csrf_for_sessions(owner, org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(
        "/api/api-keys", {"name": "CSRF", "organization_id": str(org.pk)}, format="json"
    )

    assert assert_json_error(response, 403)["detail"].startswith("CSRF Failed")
    assert not APIKey.objects.exists()


def test_an_unknown_path_without_a_slash_is_a_json_404(owner):
    assert_json_error(signed_in(owner).get("/api/nothing-here"), 404)


def test_validation_errors_keep_the_field_map_and_a_summary(owner, org):
    response = signed_in(owner).post(
        "/api/api-keys/", {"organization_id": str(org.pk)}, format="json"
    )

    body = assert_json_error(response, 400)
    assert body == {"detail": "name: Give the key a name.", "name": ["Give the key a name."]}


def test_a_json_body_that_is_not_an_object_is_a_400(owner):
    response = signed_in(owner).post("/api/api-keys/", ["a", "list"], format="json")

    assert assert_json_error(response, 400)["detail"].startswith("Invalid data")


@pytest.mark.parametrize(
    "url", ["/api/auth/me/", "/api/api-keys/", "/api/organizations/", "/api/audit-events/"]
)
def test_a_format_other_than_json_is_a_400_naming_the_parameter(key_client, url):
    # Found by schemathesis: DRF's bare 404 "Not found." read as a wrong URL.
    response = key_client().get(url, {"format": "xml"})

    body = assert_json_error(response, 400)
    assert body == {"detail": f"format: {FORMAT_UNSUPPORTED}", "format": [FORMAT_UNSUPPORTED]}


def test_a_create_with_an_unknown_format_changes_nothing(key_client):
    client = key_client()

    response = client.post("/api/api-keys/?format=yaml", {"name": "Reports"}, format="json")

    assert_json_error(response, 400)
    assert list(APIKey.objects.all()) == [client.key]


def test_format_json_is_still_accepted(key_client):
    response = key_client().get("/api/auth/me/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["auth_method"] == "api_key"
