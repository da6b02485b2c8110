"""A genuine key refused because it came in a URL is marked exposed and its owners told
(and revoked at once when the operator says so)."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.db import OperationalError
from rest_framework.test import APIClient

from apikeys import authentication as auth
from apikeys import conf, keys
from apikeys.models import APIKey, KeyStatus
from apikeys.services import exposed
from apikeys.services.exposed import EXPOSED_SUBJECT
from core.models import AuditAction, AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.downstream")]


@pytest.fixture
def sent_in_url(django_capture_on_commit_callbacks):
    """Send a key in the URL; what the refusal commits (the owners' email) runs."""

    def send(raw: str, query: str = "api_key={key}"):
        with django_capture_on_commit_callbacks(execute=True):
            return APIClient().get(f"/records/?{query.format(key=raw)}", REMOTE_ADDR="203.0.113.9")

    return send


def exposures(key):
    return AuditEvent.objects.filter(api_key=key, action=AuditAction.KEY_EXPOSED)


@pytest.mark.parametrize("query", ["api_key={key}", "{key}", "x=Bearer%20{key}"])
def test_the_key_is_refused_marked_exposed_and_its_owners_told(make_key, owner, query, sent_in_url):
    key, raw = make_key(scopes=["records:read"])

    response = sent_in_url(raw, query)

    assert (response.status_code, response.json()["detail"]) == (400, auth.KEY_IN_URL)
    (event,) = exposures(key)
    assert event.details == {"where": "url", "path": "/records/", "revoked": False}
    assert event.ip == "203.0.113.9"
    assert raw not in str(event.details)
    (message,) = mail.outbox
    assert message.to == [owner.email]
    assert message.subject == EXPOSED_SUBJECT.format(name=key.name, prefix=key.prefix)
    assert "/records/" in message.body and "203.0.113.9" in message.body
    assert raw not in message.body and raw not in message.alternatives[0][0]
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_a_key_sent_in_urls_again_is_recorded_and_mailed_once(make_key, sent_in_url):
    key, raw = make_key(scopes=["records:read"])

    for _ in range(3):
        assert sent_in_url(raw).status_code == 400

    assert exposures(key).count() == 1
    assert len(mail.outbox) == 1


def test_the_operator_can_have_such_keys_revoked_at_once(make_key, settings, sent_in_url):
    settings.APIKEYS_REVOKE_KEYS_SENT_IN_URLS = True
    key, raw = make_key(scopes=["records:read"])

    sent_in_url(raw)

    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED
    revoked = AuditEvent.objects.get(api_key=key, action=AuditAction.KEY_REVOKED)
    assert revoked.details == {"reason": "sent_in_url"}
    assert exposures(key).get().details["revoked"] is True
    (exposed,) = mail.outbox  # one email says both: no separate "revoked" notice
    assert exposed.subject.endswith("was sent in a URL")
    assert "has revoked the key" in exposed.body
    headers = {"X-API-Key": raw}
    assert APIClient().get("/records/", headers=headers).json()["detail"] == auth.KEY_REVOKED


def test_a_key_nobody_issued_is_refused_and_records_nothing(sent_in_url):
    forged, _ = keys.generate(conf.brand(), "live")

    response = sent_in_url(forged)

    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=AuditAction.KEY_EXPOSED).exists()
    assert mail.outbox == []


def test_the_refusal_does_not_wait_on_the_database(make_key, monkeypatch, sent_in_url):
    _, raw = make_key(scopes=["records:read"])

    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(auth, "api_keys_mark_exposed", database_down)

    response = sent_in_url(raw)

    assert (response.status_code, response.json()["detail"]) == (400, auth.KEY_IN_URL)


@pytest.mark.django_db(transaction=True)
def test_a_key_in_a_sockets_url_is_marked_exposed_too(make_key):
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from apikeys.routing import websocket_application

    key, raw = make_key(scopes=["audit:read"])

    async def connect():
        socket = WebsocketCommunicator(websocket_application(), f"/api/ws/audit/?token={raw}")
        await socket.connect()
        await socket.disconnect()

    async_to_sync(connect)()

    assert exposures(key).get().details["path"] == "/api/ws/audit/"
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_a_sockets_refusal_does_not_wait_on_the_database_either(make_key, monkeypatch):
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from apikeys.routing import websocket_application

    _, raw = make_key(scopes=["audit:read"])

    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(exposed, "issued_keys", database_down)  # the exposure's lookup

    async def connect():
        socket = WebsocketCommunicator(websocket_application(), f"/api/ws/audit/?token={raw}")
        await socket.connect()
        message = json.loads(await socket.receive_from())
        await socket.disconnect()
        return message["detail"]

    assert async_to_sync(connect)() == auth.KEY_IN_URL  # refused as usual, not an error
