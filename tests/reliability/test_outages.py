"""A database that does not answer gives 503 with Retry-After, never a 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.urls import reverse
from rest_framework.test import APIClient

from core.middleware import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def test_the_api_answers_an_outage_with_503_json(make_key, monkeypatch):
    _, raw = make_key()
    monkeypatch.setattr("apikeys.authentication.api_key_for_authentication", down)
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/auth/me/", HTTP_X_API_KEY=raw)

    assert response.status_code == 503
    assert response.json() == {"detail": SERVICE_UNAVAILABLE}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_the_pages_answer_an_outage_with_a_friendly_503(owner, org, monkeypatch):
    client = signed_in(owner)
    monkeypatch.setattr("organizations.pages.organization_with_role", down)
    client.raise_request_exception = False

    response = client.get(reverse("api-keys", args=[org.pk]))

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert SERVICE_UNAVAILABLE in response.content.decode()


def test_a_bug_is_still_a_500(make_key, monkeypatch):
    _, raw = make_key()

    def bug(*args, **kwargs):
        raise KeyError("a bug, not an outage")

    monkeypatch.setattr("apikeys.authentication.api_key_for_authentication", bug)
    client = APIClient(raise_request_exception=False)

    assert client.get("/api/auth/me/", HTTP_X_API_KEY=raw).status_code == 500


def test_an_outage_met_by_a_middleware_is_a_503_too(owner, org, monkeypatch):
    # The session is read by SessionMiddleware and the user by the two-factor middleware,
    # before any view: DatabaseOutageMiddleware's process_exception never sees those.
    client = signed_in(owner)
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", down)
    client.raise_request_exception = False

    response = client.get(reverse("api-keys", args=[org.pk]))

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert SERVICE_UNAVAILABLE in response.content.decode()


def test_an_outage_met_by_a_middleware_under_the_api_is_json(owner, monkeypatch):
    client = signed_in(owner)
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", down)
    client.raise_request_exception = False

    response = client.get("/api/auth/me/")

    assert response.status_code == 503
    assert response.json() == {"detail": SERVICE_UNAVAILABLE}
