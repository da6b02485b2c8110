"""`/api/api-keys/`: list, read, rename and revoke keys through the REST API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import services
from apikeys.api.serializers.keys import ONLY_NAME_CHANGES
from apikeys.api.views.keys import KEY_NOT_FOUND
from apikeys.authentication import KEY_REVOKED
from apikeys.models import APIKey, KeyStatus
from core.api.pagination import LIMIT_INVALID
from organizations.permissions import NOT_A_MANAGER
from tests.helpers import KEYS, detail, signed_in

pytestmark = pytest.mark.django_db

# List -----------------------------------------------------------------------------------


def test_every_member_reads_the_list_newest_first_without_plaintext(member, make_key):
    _, older_raw = make_key(name="Older")
    _, newer_raw = make_key(name="Newer")

    response = signed_in(member).get(KEYS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [k["name"] for k in body["results"]] == ["Newer", "Older"]
    assert "key" not in body["results"][0]
    assert older_raw not in response.content.decode()
    assert newer_raw not in response.content.decode()


def test_the_list_filters_on_effective_status_mode_and_organization(owner, org, make_key):
    active, _ = make_key(name="Active")
    paused, _ = make_key(name="Paused", mode="test")
    services.api_key_pause(key=paused, actor=owner, acting_key=None)
    revoked, _ = make_key(name="Revoked")
    services.api_key_revoke(key=revoked, actor=owner, acting_key=None)
    expired, _ = make_key(name="Expired", expires_at=timezone.now() + timedelta(seconds=1))
    APIKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = signed_in(owner)

    def names(query):
        return {k["name"] for k in client.get(KEYS + query).json()["results"]}

    assert names("?status=active") == {"Active"}
    assert names("?status=paused") == {"Paused"}
    assert names("?status=revoked") == {"Revoked"}
    assert names("?status=expired") == {"Expired"}
    assert names("?mode=test") == {"Paused"}
    assert names(f"?organization_id={org.pk}") == {"Active", "Paused", "Revoked", "Expired"}
    assert names("?search=paus") == {"Paused"}
    assert names(f"?search={active.prefix}") == {"Active"}
    assert client.get(KEYS + "?status=expired").json()["results"][0]["status"] == "expired"


def test_the_list_pages_with_limit_and_offset(owner, make_key):
    for n in range(5):
        make_key(name=f"Key {n}")
    client = signed_in(owner)

    first = client.get(KEYS + "?limit=2").json()
    last = client.get(KEYS + "?limit=2&offset=4").json()

    assert first["count"] == 5 and len(first["results"]) == 2
    assert "offset=2" in first["next"] and first["previous"] is None
    assert len(last["results"]) == 1 and last["next"] is None


@pytest.mark.parametrize(
    "query", ["?status=lost", "?mode=prod", "?organization_id=nope", "?limit=0", "?limit=x"]
)
def test_a_bad_filter_or_page_is_a_400(owner, query):
    response = signed_in(owner).get(KEYS + query)

    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_limit_above_the_maximum_is_refused_rather_than_clipped(owner):
    response = signed_in(owner).get(KEYS + "?limit=201")

    assert response.status_code == 400
    assert response.json()["limit"] == [LIMIT_INVALID]


# Read, rename, revoke ---------------------------------------------------------------------


def test_a_member_reads_one_key_without_its_plaintext(member, make_key):
    key, raw = make_key()

    response = signed_in(member).get(detail(key))

    assert response.status_code == 200
    assert response.json()["prefix"] == key.prefix
    assert raw not in response.content.decode() and "key" not in response.json()


def test_an_unknown_key_is_a_404(owner):
    response = signed_in(owner).get(f"{KEYS}00000000-0000-4000-8000-000000000000/")

    assert response.status_code == 404
    assert response.json() == {"detail": KEY_NOT_FOUND}


def test_an_invalid_uuid_in_the_path_is_a_json_404(owner):
    response = signed_in(owner).get(f"{KEYS}not-a-uuid/")

    assert response.status_code == 404
    assert response.json()["detail"]


def test_a_manager_renames_a_key(manager, make_key):
    key, _ = make_key(name="Old")

    response = signed_in(manager).patch(detail(key), {"name": "  New name "}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "New name"
    key.refresh_from_db()
    assert key.name == "New name"


def test_renaming_refuses_other_fields_instead_of_ignoring_them(owner, make_key):
    key, _ = make_key(name="Old")

    response = signed_in(owner).patch(
        detail(key), {"name": "New", "status": "paused"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == ONLY_NAME_CHANGES.format(fields="status")
    key.refresh_from_db()
    assert (key.name, key.status) == ("Old", KeyStatus.ACTIVE)


def test_a_member_cannot_rename_or_revoke(member, make_key):
    key, _ = make_key(name="Theirs")
    client = signed_in(member)

    rename = client.patch(detail(key), {"name": "Mine"}, format="json")
    revoke = client.delete(detail(key))

    assert (rename.status_code, revoke.status_code) == (403, 403)
    assert rename.json() == {"detail": NOT_A_MANAGER}
    key.refresh_from_db()
    assert (key.name, key.status) == ("Theirs", KeyStatus.ACTIVE)


def test_delete_revokes_the_key_and_its_next_request_is_a_401(owner, make_key):
    key, raw = make_key(scopes=["records:read"])
    user = APIClient()
    user.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert user.get("/api/auth/me/").status_code == 200

    response = signed_in(owner).delete(detail(key))

    assert response.status_code == 204 and response.content == b""
    assert user.get("/api/auth/me/").json() == {"detail": KEY_REVOKED}
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and key.revoked_at is not None


def test_revoking_twice_is_a_409(owner, make_key):
    key, _ = make_key()
    client = signed_in(owner)
    client.delete(detail(key))

    response = client.delete(detail(key))

    assert response.status_code == 409
    assert response.json() == {"detail": services.ALREADY_REVOKED}


def test_put_is_not_allowed(owner, make_key):
    key, _ = make_key()

    response = signed_in(owner).put(detail(key), {"name": "x"}, format="json")

    assert response.status_code == 405
    assert response.json()["detail"] == 'Method "PUT" not allowed.'
