"""WebSocket authentication (apikeys.channels) and the live audit stream, through Channels'
own test client against the real middleware and consumer."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from apikeys import channels as ws
from apikeys import services, ws_tickets
from apikeys.authentication import KEY_IN_URL
from apikeys.consumers import NO_SUCH_ORGANIZATION
from apikeys.routing import websocket_application
from organizations.models import Role
from organizations.permissions import AUDIT_NOT_VISIBLE, MISSING_SCOPE

pytestmark = pytest.mark.django_db(transaction=True)

AUDIT = "/api/ws/audit/"


def run(scenario):
    """Run an async scenario (a function returning an awaitable) from a sync test."""

    async def awaited():
        return await scenario()

    return async_to_sync(awaited)()


def communicator(path: str = AUDIT, headers: dict[str, str] | None = None):
    encoded = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return WebsocketCommunicator(websocket_application(), path, headers=encoded)


async def refusal_of(socket: WebsocketCommunicator) -> tuple[str, int]:
    """Connect, expecting the refusal: its message and close code."""
    connected, _ = await socket.connect()
    assert connected  # accepted only to be told why
    message = json.loads(await socket.receive_from())
    closed = await socket.receive_output()
    assert message["type"] == "error"
    assert closed["type"] == "websocket.close"
    return message["detail"], closed["code"]


@pytest.fixture
def audit_key(make_key):
    return make_key(scopes=["audit:read"])


def test_a_key_in_a_header_opens_the_audit_stream_and_receives_new_events(audit_key, make_key):
    _, raw = audit_key

    async def scenario():
        socket = communicator(headers={"X-API-Key": raw})
        connected, _ = await socket.connect()
        assert connected
        other, _ = await database_sync_to_async(make_key)(name="Billing")
        message = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return message, other

    message, other = run(scenario)
    assert message["type"] == "audit_event"
    assert message["event"]["action"] == "api_key.created"
    assert message["event"]["api_key_id"] == str(other.pk)
    assert message["event"]["action_label"] == "Key created"


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key", "Api-Key"])
def test_every_key_header_works(audit_key, header):
    _, raw = audit_key
    value = f"Bearer {raw}" if header == "Authorization" else raw

    async def scenario():
        socket = communicator(headers={header: value})
        connected, _ = await socket.connect()
        await socket.disconnect()
        return connected

    assert run(scenario) is True


def test_no_credential_is_refused_with_4401():
    assert run(lambda: refusal_of(communicator())) == (ws.NO_CREDENTIALS, ws.CLOSE_UNAUTHENTICATED)


def test_a_raw_key_in_the_url_is_refused(audit_key):
    _, raw = audit_key
    for path in (f"{AUDIT}?token={raw}", f"{AUDIT}?api_key={raw}", f"{AUDIT}?{raw}"):
        detail, code = run(lambda path=path: refusal_of(communicator(path)))
        assert (detail, code) == (KEY_IN_URL, ws.CLOSE_UNAUTHENTICATED)


def test_a_raw_key_in_the_url_works_only_when_the_operator_allows_it(audit_key, settings):
    settings.APIKEYS_WS_ALLOW_KEY_IN_URL = True
    _, raw = audit_key

    async def scenario():
        socket = communicator(f"{AUDIT}?token={raw}")
        connected, _ = await socket.connect()
        assert await socket.receive_nothing()
        await socket.disconnect()
        return connected

    assert run(scenario) is True


def ticket_for(raw: str) -> str:
    response = APIClient().post("/api/ws-tickets/", headers={"X-API-Key": raw}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["expires_in"] == 30
    return response.json()["ticket"]


def test_a_ticket_opens_one_socket_once(audit_key):
    _, raw = audit_key
    ticket = ticket_for(raw)

    async def scenario():
        first = communicator(f"{AUDIT}?ticket={ticket}")
        connected, _ = await first.connect()
        assert connected and await first.receive_nothing()
        await first.disconnect()
        return await refusal_of(communicator(f"{AUDIT}?ticket={ticket}"))

    assert run(scenario) == (ws.TICKET_INVALID, ws.CLOSE_UNAUTHENTICATED)


def test_an_expired_ticket_is_refused(audit_key, monkeypatch):
    _, raw = audit_key
    now = [1_800_000_000.0]
    monkeypatch.setattr(ws_tickets, "clock", lambda: now[0])
    ticket = ticket_for(raw)
    now[0] += 31
    detail, _ = run(lambda: refusal_of(communicator(f"{AUDIT}?ticket={ticket}")))
    assert detail == ws.TICKET_INVALID


def test_a_ticket_minted_by_a_key_revoked_since_is_refused(audit_key):
    key, raw = audit_key
    ticket = ticket_for(raw)
    services.api_key_revoke(key=key, actor=key.created_by, acting_key=None)
    detail, code = run(lambda: refusal_of(communicator(f"{AUDIT}?ticket={ticket}")))
    assert (detail, code) == ("API key revoked", ws.CLOSE_UNAUTHENTICATED)


def test_the_cache_holds_only_a_digest_of_a_ticket(audit_key):
    from django.core.cache import cache

    ticket = ticket_for(audit_key[1])
    assert cache.get(ws_tickets._cache_key(ticket)) is not None
    assert cache.get("ws-ticket:" + ticket) is None


def test_a_session_ticket_streams_the_owners_organization(client, owner, org, make_key):
    client.force_login(owner)
    response = client.post("/api/ws-tickets/", content_type="application/json")
    assert response.status_code == 201
    ticket = response.json()["ticket"]

    async def scenario():
        socket = communicator(f"{AUDIT}?ticket={ticket}&organization_id={org.pk}")
        connected, _ = await socket.connect()
        assert connected
        await database_sync_to_async(make_key)(name="Lab sync")
        message = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return message

    assert run(scenario)["event"]["action"] == "api_key.created"


def test_a_member_may_not_read_the_audit_stream(client, org, member):
    client.force_login(member)
    ticket = client.post("/api/ws-tickets/", content_type="application/json").json()["ticket"]
    path = f"{AUDIT}?ticket={ticket}&organization_id={org.pk}"
    assert run(lambda: refusal_of(communicator(path))) == (AUDIT_NOT_VISIBLE, ws.CLOSE_FORBIDDEN)


def test_another_organizations_stream_is_not_found(audit_key, other_org):
    _, raw = audit_key
    path = f"{AUDIT}?organization_id={other_org.pk}"
    detail, code = run(lambda: refusal_of(communicator(path, {"X-API-Key": raw})))
    assert (detail, code) == (NO_SUCH_ORGANIZATION, ws.CLOSE_FORBIDDEN)


def test_a_key_without_audit_read_is_refused(make_key):
    _, raw = make_key(scopes=["organization:read"])
    detail, code = run(lambda: refusal_of(communicator(headers={"X-API-Key": raw})))
    assert (detail, code) == (MISSING_SCOPE.format(scope="audit:read"), ws.CLOSE_FORBIDDEN)


def test_a_revoked_keys_socket_is_closed_at_the_next_check(audit_key, settings):
    settings.APIKEYS_WS_RECHECK_SECONDS = 0.05
    key, raw = audit_key

    async def scenario():
        socket = communicator(headers={"X-API-Key": raw})
        connected, _ = await socket.connect()
        assert connected
        await database_sync_to_async(services.api_key_revoke)(
            key=key, actor=key.created_by, acting_key=None
        )
        # The revocation's own audit event may arrive first; then the refusal and the close.
        messages = []
        while True:
            output = await socket.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                return messages, output["code"]
            messages.append(json.loads(output["text"]))

    messages, code = run(scenario)
    assert code == ws.CLOSE_UNAUTHENTICATED
    assert messages[-1] == {"type": "error", "detail": ws.CREDENTIAL_ENDED}


def test_a_demoted_admins_stream_stops_at_the_next_event(client, org, admin, make_key):
    from organizations.models import Membership

    client.force_login(admin)
    ticket = client.post("/api/ws-tickets/", content_type="application/json").json()["ticket"]

    async def scenario():
        socket = communicator(f"{AUDIT}?ticket={ticket}&organization_id={org.pk}")
        connected, _ = await socket.connect()
        assert connected
        await database_sync_to_async(
            lambda: Membership.objects.filter(user=admin, organization=org).update(role=Role.MEMBER)
        )()
        await database_sync_to_async(make_key)(name="After the demotion")
        message = await socket.receive_json_from(timeout=5)
        closed = await socket.receive_output(timeout=5)
        return message, closed

    message, closed = run(scenario)
    assert message == {"type": "error", "detail": AUDIT_NOT_VISIBLE}
    assert closed == {"type": "websocket.close", "code": ws.CLOSE_FORBIDDEN}


def test_connections_count_against_the_keys_rate_limit(audit_key, settings):
    settings.APIKEYS_RATE_PER_MINUTE = 2
    _, raw = audit_key

    async def scenario():
        for _ in range(2):
            socket = communicator(headers={"X-API-Key": raw})
            connected, _ = await socket.connect()
            assert connected and await socket.receive_nothing()
            await socket.disconnect()
        return await refusal_of(communicator(headers={"X-API-Key": raw}))

    detail, code = run(scenario)
    assert detail.startswith("Rate limit exceeded: retry in ")
    assert code == ws.CLOSE_RATE_LIMITED


def test_an_access_token_in_the_url_opens_the_stream_as_its_user(owner, org):
    from accounts.jwt import issue_tokens

    access = issue_tokens(user=owner).access

    async def scenario():
        socket = communicator(f"{AUDIT}?token={access}&organization_id={org.pk}")
        connected, _ = await socket.connect()
        assert connected and await socket.receive_nothing()
        await socket.disconnect()
        return connected

    assert run(scenario) is True


def test_a_forged_access_token_is_refused(owner, org):
    from accounts.jwt import issue_tokens

    access = issue_tokens(user=owner).access
    forged = access[:-4] + ("AAAA" if not access.endswith("AAAA") else "BBBB")
    path = f"{AUDIT}?token={forged}&organization_id={org.pk}"
    _, code = run(lambda: refusal_of(communicator(path)))
    assert code == ws.CLOSE_UNAUTHENTICATED
