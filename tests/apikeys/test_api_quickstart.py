"""The NxVET seed document's quick start, done against this API.

Create a key, verify it with `GET /api/auth/me/`, read `organization_id` from the answer,
use it, revoke the key, and watch the next request fail with 401 "API key revoked".
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys.authentication import KEY_REVOKED

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_the_quick_start_from_creation_to_revocation(owner, org):
    browser = APIClient()
    browser.force_login(owner)
    expiry = (timezone.now() + timedelta(days=365)).replace(microsecond=0)

    # 1. Generate a key (the portal's session); the key and organization id are shown once.
    created = browser.post(
        "/api/api-keys/",
        {
            "name": "Production Integration",
            "organization_id": str(org.pk),
            "scopes": ["organization:read", "records:read"],
            "expires_at": expiry.isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201
    raw, key_id = created.json()["key"], created.json()["id"]
    assert created.json()["organization_id"] == str(org.pk)
    assert created["Cache-Control"] == "no-store"
    integration = bearer(raw)

    # 2. Verify the key and discover the organization id.
    me = integration.get("/api/auth/me/")
    assert me.status_code == 200
    organization_id = me.json()["organization_id"]
    assert organization_id == str(org.pk)
    assert me.json()["organization_name"] == "Happy Paws Clinic"
    assert me.json()["auth_method"] == "api_key"
    assert me.json()["api_key"]["id"] == key_id
    assert me.json()["api_key"]["expires_at"] == expiry.isoformat().replace("+00:00", "Z")

    # 3. Use the organization id in the next calls.
    organization = integration.get(f"/api/organizations/{organization_id}/")
    members = integration.get(f"/api/organizations/{organization_id}/members/?limit=10")
    assert organization.status_code == 200 and organization.json()["name"] == "Happy Paws Clinic"
    assert members.status_code == 200 and members.json()["results"][0]["email"] == owner.email

    # 4. Revoke it: 204 No Content.
    revoked = browser.delete(f"/api/api-keys/{key_id}/")
    assert revoked.status_code == 204

    # 5. Every later request with the key is refused.
    refused = integration.get("/api/auth/me/")
    assert refused.status_code == 401
    assert refused.json() == {"detail": KEY_REVOKED}
    assert integration.get(f"/api/organizations/{organization_id}/").status_code == 401

    # The key listing shows the revocation, never the key itself.
    listing = browser.get(f"/api/api-keys/?organization_id={organization_id}")
    assert listing.json()["results"][0]["status"] == "revoked"
    assert raw not in listing.content.decode()


def test_the_seed_documents_curl_lines_work_as_written(make_key):
    """The seed calls `/api/auth/me` and `/api/api-keys/KEY_ID` without a trailing slash."""
    key, raw = make_key(scopes=["api_keys:manage", "records:read"])
    integration = bearer(raw)

    me = integration.get("/api/auth/me")
    revoked = integration.delete(f"/api/api-keys/{key.pk}")
    refused = integration.get("/api/auth/me")

    assert me.status_code == 200 and me.json()["organization_id"] == str(key.organization_id)
    assert revoked.status_code == 204
    assert (refused.status_code, refused.json()) == (401, {"detail": KEY_REVOKED})
