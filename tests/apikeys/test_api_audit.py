"""`GET /api/audit-events/`: an organization's trail for its owners and admins, read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys import services
from apikeys.api.serializers.audit import SINCE_AFTER_UNTIL
from apikeys.api.views.base import ORGANIZATION_REQUIRED
from apikeys.permissions import MISSING_SCOPE
from core.models import AuditAction, AuditEvent
from organizations.permissions import AUDIT_NOT_VISIBLE
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

EVENTS = "/api/audit-events/"


def events_of(client, org, query=""):
    response = client.get(f"{EVENTS}?organization_id={org.pk}{query}")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("reader", ["owner", "admin", "staff"])
def test_owners_admins_and_staff_read_the_trail_newest_first(request, reader, owner, org, make_key):
    key, _ = make_key(name="Audited")
    services.api_key_pause(key=key, actor=owner, acting_key=None)

    body = events_of(signed_in(request.getfixturevalue(reader)), org)

    assert [e["action"] for e in body["results"]] == ["api_key.paused", "api_key.created"]
    created = body["results"][1]
    assert created["api_key_id"] == str(key.pk) and created["key_prefix"] == key.prefix
    assert created["actor_id"] == str(owner.pk) and created["actor_email"] == owner.email
    assert created["organization_id"] == str(org.pk)
    assert created["details"]["name"] == "Audited"


def test_a_member_may_not_read_the_trail(member, org):
    response = signed_in(member).get(f"{EVENTS}?organization_id={org.pk}")

    assert (response.status_code, response.json()) == (403, {"detail": AUDIT_NOT_VISIBLE})


def test_an_audit_key_reads_its_own_organizations_trail_by_default(key_client, org):
    client = key_client(scopes=["audit:read"])

    response = client.get(EVENTS)

    assert response.status_code == 200
    assert response.json()["results"][0]["api_key_id"] == str(client.key.pk)


@pytest.mark.parametrize("scopes", [["organization:read"], ["api_keys:manage", "records:read"]])
def test_a_key_without_the_audit_scope_may_not(key_client, scopes):
    response = key_client(scopes=scopes).get(EVENTS)

    assert response.status_code == 403
    assert response.json() == {"detail": MISSING_SCOPE.format(scope="audit:read")}


def test_a_session_must_name_the_organization(owner):
    response = signed_in(owner).get(EVENTS)

    assert response.status_code == 400
    assert response.json()["organization_id"] == [ORGANIZATION_REQUIRED]


def test_events_filter_by_key_action_and_time(owner, org, make_key):
    first, _ = make_key(name="First")
    second, _ = make_key(name="Second")
    services.api_key_pause(key=second, actor=owner, acting_key=None)
    client = signed_in(owner)
    now = timezone.now()

    by_key = events_of(client, org, f"&api_key={first.pk}")["results"]
    by_action = events_of(client, org, "&action=api_key.paused")["results"]
    past = (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    future = (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z")

    assert [e["action"] for e in by_key] == ["api_key.created"]
    assert [e["api_key_id"] for e in by_action] == [str(second.pk)]
    assert events_of(client, org, f"&since={past}")["count"] == 3
    assert events_of(client, org, f"&since={future}")["count"] == 0
    assert events_of(client, org, f"&until={past}")["count"] == 0
    assert events_of(client, org, f"&since={past}&until={future}")["count"] == 3


def test_the_trail_pages_with_limit_and_offset(owner, org, make_key):
    for n in range(3):
        make_key(name=f"Key {n}")

    body = events_of(signed_in(owner), org, "&limit=2&offset=2")

    assert body["count"] == 3 and len(body["results"]) == 1 and body["previous"]


@pytest.mark.parametrize(
    "query",
    ["&action=api_key.exploded", "&api_key=nope", "&since=yesterday", "&limit=-1"],
)
def test_a_bad_filter_is_a_400(owner, org, query):
    response = signed_in(owner).get(f"{EVENTS}?organization_id={org.pk}{query}")

    assert response.status_code == 400
    assert response.json()["detail"]


def test_until_before_since_is_a_400(owner, org):
    response = signed_in(owner).get(
        f"{EVENTS}?organization_id={org.pk}&since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z"
    )

    assert response.status_code == 400
    assert response.json()["until"] == [SINCE_AFTER_UNTIL]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_trail_is_append_only(owner, org, make_key, method):
    make_key()
    before = list(AuditEvent.objects.values_list("id", "action"))

    response = getattr(signed_in(owner), method)(
        f"{EVENTS}?organization_id={org.pk}", {"action": "api_key.revoked"}, format="json"
    )

    assert response.status_code == 405
    assert response.json()["detail"] == f'Method "{method.upper()}" not allowed.'
    assert list(AuditEvent.objects.values_list("id", "action")) == before


def test_the_request_id_of_the_change_is_on_its_event(owner, org):
    response = signed_in(owner).post(
        "/api/api-keys/",
        {"name": "Traced", "organization_id": str(org.pk)},
        format="json",
        HTTP_X_REQUEST_ID="trace-7f3a",
    )

    assert response["X-Request-ID"] == "trace-7f3a"
    event = events_of(signed_in(owner), org, "&action=api_key.created")["results"][0]
    assert event["request_id"] == "trace-7f3a"
    assert event["ip"] == "127.0.0.1"
    assert AuditEvent.objects.get(action=AuditAction.KEY_CREATED).request_id == "trace-7f3a"


def test_an_insane_request_id_is_replaced_not_stored(owner, org):
    response = signed_in(owner).post(
        "/api/api-keys/",
        {"name": "Traced", "organization_id": str(org.pk)},
        format="json",
        HTTP_X_REQUEST_ID="<script>alert(1)</script>",
    )

    assert response["X-Request-ID"] != "<script>alert(1)</script>"
    assert AuditEvent.objects.get().request_id == response["X-Request-ID"]


def test_events_never_contain_a_plaintext(owner, org):
    client = signed_in(owner)
    created = client.post(
        "/api/api-keys/", {"name": "Secret", "organization_id": str(org.pk)}, format="json"
    ).json()
    rotated = client.post(f"/api/api-keys/{created['id']}/rotate/", {}, format="json").json()

    response = client.get(f"{EVENTS}?organization_id={org.pk}")

    assert response.json()["count"] == 2
    assert created["key"] not in response.content.decode()
    assert rotated["key"] not in response.content.decode()
