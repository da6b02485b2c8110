"""No log line, page, error or stored row ever holds a full key, except the show-once answers."""

import re

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from apikeys.models import APIKey
from tests.helpers import all_logs

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured_logs():
    with all_logs() as lines:
        yield lines


def test_a_whole_key_life_leaks_the_key_nowhere(captured_logs, owner, org, client):
    responses, show_once = [], []
    api = APIClient()
    api.force_login(owner)

    created = api.post(
        "/api/api-keys/",
        {"name": "Lab sync", "organization_id": str(org.pk), "scopes": ["api_keys:manage"]},
        format="json",
    )
    show_once.append(created)
    raw = created.json()["key"]
    key_id = created.json()["id"]

    with_key = APIClient()
    with_key.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    responses += [
        with_key.get("/api/auth/me/"),
        with_key.get("/api/api-keys/"),
        with_key.get(f"/api/api-keys/{key_id}/"),
        with_key.patch(f"/api/api-keys/{key_id}/", {"name": "Lab sync 2"}, format="json"),
        with_key.post(f"/api/api-keys/{key_id}/set-default/"),
        api.get(f"/api/audit-events/?organization_id={org.pk}"),
        APIClient().get(
            "/api/auth/me/", HTTP_X_API_KEY=raw[:-1] + ("1" if raw.endswith("0") else "0")
        ),  # bad checksum
        APIClient().get("/api/auth/me/", {"token": raw}),  # refused: key in URL
    ]
    rotated = with_key.post(f"/api/api-keys/{key_id}/rotate/", {}, format="json")
    show_once.append(rotated)
    new_raw = rotated.json()["key"]
    responses.append(with_key.get("/api/auth/me/"))  # the revoked old key: 401

    # The pages: create, show once, then every page after it.
    client.force_login(owner)
    page_post = client.post(
        reverse("api-key-create", args=[org.pk]),
        {"name": "Page key", "mode": "live", "scopes": ["records:read"], "expiry": "never"},
    )
    responses.append(page_post)
    shown = client.get(page_post["Location"])
    show_once.append(shown)
    page_key = APIKey.objects.get(name="Page key")
    page_raw = re.search(
        rf"{re.escape(page_key.prefix)}[0-9A-Za-z]{{41}}", shown.content.decode()
    ).group()
    responses += [
        client.get(page_post["Location"]),
        client.get(reverse("api-keys", args=[org.pk])),
        client.get(reverse("audit-log", args=[org.pk])),
    ]
    revoke = APIClient()
    revoke.credentials(HTTP_AUTHORIZATION=f"Bearer {new_raw}")
    responses.append(revoke.delete(f"/api/api-keys/{rotated.json()['id']}/"))
    responses.append(revoke.get("/api/auth/me/"))

    secrets = [raw, new_raw, page_raw]
    assert all(s.startswith("kp_live_") and len(s) == 57 for s in secrets)
    for response in show_once:
        assert any(s in response.content.decode() for s in secrets)
    for response in responses:
        text = response.content.decode() + str(response.headers)
        assert not any(s in text for s in secrets), response.request["PATH_INFO"]
    log_text = "\n".join(captured_logs)
    assert "apikeys_apikey" in log_text  # the SQL log was captured
    assert not any(s in log_text for s in secrets)
    # Nothing stored holds a key: not the keys table, the audit trail or the sessions.
    with connection.cursor() as cursor:
        for table in ("apikeys_apikey", "apikeys_auditevent", "django_session"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump = str(cursor.fetchall())
            assert not any(s in dump for s in secrets), table


@pytest.mark.parametrize("path", ["/api/auth/me/", "/api/api-keys/", "/api/organizations/"])
def test_api_answers_are_never_stored_and_vary_on_every_credential(make_key, path):
    _, raw = make_key(scopes=["api_keys:manage", "organization:read"])

    response = APIClient().get(path, HTTP_X_API_KEY=raw)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    vary = {header.strip().lower() for header in response["Vary"].split(",")}
    assert {"authorization", "x-api-key", "api-key", "cookie"} <= vary
