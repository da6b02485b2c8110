"""The lifecycle actions over REST: pause, resume, set and remove the default, rotate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import services, validation
from apikeys.authentication import KEY_PAUSED, KEY_REVOKED
from apikeys.models import APIKey, KeyStatus
from apikeys.permissions import MISSING_SCOPE
from core.models import AuditAction, AuditEvent
from organizations.permissions import NOT_A_MANAGER
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def with_key(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def act(client: APIClient, key, action: str, body=None):
    return client.post(f"/api/api-keys/{key.pk}/{action}/", body, format="json")


@pytest.fixture(params=["owner", "admin", "staff", "managing key"])
def caller(request, key_client):
    """Every kind of caller allowed to manage the organization's keys."""
    if request.param == "managing key":
        return key_client(scopes=["api_keys:manage", "records:read"])
    return signed_in(request.getfixturevalue(request.param))


def test_pause_and_resume_switch_a_key_off_and_on(caller, make_key):
    key, raw = make_key()

    paused = act(caller, key, "pause")
    refused = with_key(raw).get("/api/auth/me/")
    resumed = act(caller, key, "resume")

    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert paused.json()["paused_at"] is not None
    assert (refused.status_code, refused.json()) == (401, {"detail": KEY_PAUSED})
    assert (resumed.status_code, resumed.json()["status"]) == (200, "active")
    assert with_key(raw).get("/api/auth/me/").status_code == 200


def test_set_default_moves_the_flag_and_remove_default_clears_it(caller, make_key):
    first, _ = make_key(name="First")
    second, _ = make_key(name="Second")

    assert act(caller, first, "set-default").json()["is_default"] is True
    response = act(caller, second, "set-default")
    first.refresh_from_db()
    assert response.json()["is_default"] is True and first.is_default is False

    cleared = act(caller, second, "remove-default")
    assert (cleared.status_code, cleared.json()["is_default"]) == (200, False)


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        ("pause", "pause", services.PAUSE_NEEDS_ACTIVE),
        (None, "resume", services.RESUME_NEEDS_PAUSED),
        ("pause", "set-default", services.DEFAULT_NEEDS_ACTIVE),
        (None, "remove-default", services.NOT_DEFAULT),
        ("revoke", "resume", services.ALREADY_REVOKED),
        ("revoke", "rotate", services.ALREADY_REVOKED),
    ],
)
def test_an_impossible_transition_is_a_409_and_changes_nothing(
    owner, make_key, setup, action, message
):
    key, _ = make_key()
    if setup == "pause":
        services.api_key_pause(key=key, actor=owner, acting_key=None)
    elif setup == "revoke":
        services.api_key_revoke(key=key, actor=owner, acting_key=None)
    before = AuditEvent.objects.count()

    response = act(signed_in(owner), key, action)

    assert response.status_code == 409
    assert response.json() == {"detail": message}
    assert AuditEvent.objects.count() == before


def test_an_expired_key_cannot_be_resumed(owner, make_key):
    key, _ = make_key(expires_at=timezone.now() + timedelta(days=1))
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = act(signed_in(owner), key, "resume")

    assert response.status_code == 409
    assert response.json() == {"detail": services.ALREADY_EXPIRED}


@pytest.mark.parametrize("action", ["pause", "resume", "set-default", "remove-default", "rotate"])
def test_a_member_can_take_no_action(member, make_key, action):
    key, _ = make_key()

    response = act(signed_in(member), key, action)

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_A_MANAGER}
    assert APIKey.objects.count() == 1
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


@pytest.mark.parametrize("action", ["pause", "resume", "set-default", "remove-default", "rotate"])
def test_a_key_without_the_manage_scope_can_take_no_action(key_client, make_key, action):
    target, _ = make_key()

    response = act(key_client(scopes=["records:read"]), target, action)

    assert response.status_code == 403
    assert response.json() == {"detail": MISSING_SCOPE.format(scope="api_keys:manage")}


def test_rotation_without_grace_replaces_the_key_at_once(caller, make_key):
    old, old_raw = make_key(name="Billing", mode="live", scopes=["api_keys:manage"])
    services.api_key_set_default(key=old, actor=old.created_by, acting_key=None)

    response = act(caller, old, "rotate")

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    new = response.json()
    assert new["key"].startswith(new["prefix"]) and new["id"] != str(old.pk)
    assert (new["name"], new["mode"], new["scopes"]) == ("Billing", "live", ["api_keys:manage"])
    assert new["rotated_from"] == str(old.pk) and new["is_default"] is True
    assert with_key(old_raw).get("/api/auth/me/").json() == {"detail": KEY_REVOKED}
    assert with_key(new["key"]).get("/api/auth/me/").status_code == 200


def test_rotation_with_a_grace_period_keeps_the_old_key_working_until_it_ends(owner, make_key):
    old, old_raw = make_key()

    response = act(signed_in(owner), old, "rotate", {"grace_period_seconds": 3600})

    assert response.status_code == 201
    assert with_key(old_raw).get("/api/auth/me/").status_code == 200
    old_view = signed_in(owner).get(f"/api/api-keys/{old.pk}/").json()
    assert old_view["rotated_at"] is not None and old_view["expires_at"] is not None
    assert old_view["status"] == "active"
    assert with_key(response.json()["key"]).get("/api/auth/me/").status_code == 200


def test_a_rotated_key_cannot_be_rotated_again(owner, make_key):
    old, _ = make_key()
    client = signed_in(owner)
    act(client, old, "rotate", {"grace_period_seconds": 60})

    response = act(client, old, "rotate")

    assert response.status_code == 409
    assert response.json() == {"detail": services.ALREADY_ROTATED}


@pytest.mark.parametrize("grace", [-1, 86401, "soon", 1.5, True])
def test_a_grace_period_outside_0_to_86400_seconds_is_a_400(owner, make_key, grace):
    key, _ = make_key()

    response = act(signed_in(owner), key, "rotate", {"grace_period_seconds": grace})

    assert response.status_code == 400
    assert response.json()["grace_period_seconds"] == [validation.GRACE_INVALID.format(max=86400)]
    assert APIKey.objects.count() == 1


def test_the_longest_grace_period_is_accepted(owner, make_key):
    key, _ = make_key()

    response = act(signed_in(owner), key, "rotate", {"grace_period_seconds": 86400})

    assert response.status_code == 201


def test_each_action_is_audited_with_the_request_id_the_client_sent(owner, make_key):
    key, _ = make_key()
    client = signed_in(owner)

    response = client.post(f"/api/api-keys/{key.pk}/pause/", HTTP_X_REQUEST_ID="deploy-42.pause")

    assert response["X-Request-ID"] == "deploy-42.pause"
    event = AuditEvent.objects.get(action=AuditAction.KEY_PAUSED)
    assert event.request_id == "deploy-42.pause"
    assert event.api_key_id == key.pk and event.actor == owner


def test_an_action_taken_with_a_key_records_that_key(key_client, make_key):
    client = key_client(scopes=["api_keys:manage", "records:read"])
    target, _ = make_key()

    act(client, target, "pause")

    event = AuditEvent.objects.get(action=AuditAction.KEY_PAUSED)
    assert event.actor_key_id == client.key.pk


def test_a_request_without_an_id_gets_a_fresh_one_which_is_stored(owner, make_key):
    key, _ = make_key()

    response = act(signed_in(owner), key, "pause")

    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    assert AuditEvent.objects.get(action=AuditAction.KEY_PAUSED).request_id == request_id
