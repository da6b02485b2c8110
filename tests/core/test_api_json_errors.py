"""JSON under /api/ in every mode: with DEBUG on, a wrong path is still `{"detail": ...}`.

Django answers a path no route matches with its HTML debug page whenever DEBUG is on,
whatever `handler404` says; `make run` runs with DEBUG on, and API clients must never have
to parse HTML. These go through the real URL resolver.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from apikeys.models import APIKey
from core.api.routing import NOT_FOUND
from tests.helpers import assert_json_error, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["DEBUG on", "DEBUG off"])
def debug(request):
    with override_settings(DEBUG=request.param):
        yield request.param


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing-here/",
        "/api/nothing-here",
        "/api/api-keys/not-a-uuid/",
        "/api/api-keys/not-a-uuid",
        "/api/api-keys/not-a-uuid/pause/",
        "/api/organizations/123/members/",
        "/api/users/me/api-keys/not-a-uuid/rotate/",
        "/api/users/abc/api-keys/",
        "/api/v2/api-keys/",
        "/api/",
    ],
)
def test_an_unknown_path_or_malformed_id_is_a_json_404(debug, owner, path):
    response = signed_in(owner).get(path)

    assert assert_json_error(response, 404) == {"detail": NOT_FOUND}


def test_an_anonymous_request_to_a_wrong_path_is_a_json_404_too(debug):
    assert_json_error(Client().get("/api/apiKeys/"), 404)


def test_a_post_to_a_wrong_path_is_a_json_404_not_a_csrf_page(debug, owner):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post("/api/apiKeys", {"name": "Nuxera path"}, format="json")

    assert_json_error(response, 404)
    assert not APIKey.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [("delete", "/api/api-keys/"), ("put", "/api/auth/me/"), ("put", "/api/api-keys")],
)
def test_an_unsupported_method_is_a_json_405(debug, owner, method, path):
    response = getattr(signed_in(owner), method)(path, {}, format="json")

    assert_json_error(response, 405)


def test_a_real_path_without_its_slash_still_answers(debug, key_client):
    response = key_client().get("/api/users/me/api-keys")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_pages_outside_the_api_keep_django_s_own_answer(debug, owner):
    response = signed_in(owner).get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
