"""The client's IP: believed from X-Forwarded-For only when a trusted proxy sent it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.clients import client_ip
from core.models import AuditAction, AuditEvent
from tests.factories import PASSWORD
from tests.helpers import signed_in

PROXY = "10.0.0.1"


def request_from(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from(PROXY, "203.0.113.5")) == PROXY


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("198.51.100.1, 203.0.113.5", "203.0.113.5"),  # the rightmost untrusted hop
        ("203.0.113.5, 10.0.0.7", "203.0.113.5"),  # past another trusted proxy
        ("not-an-ip", PROXY),
        ("", PROXY),
    ],
)
def test_behind_a_trusted_proxy_the_forwarded_client_is_believed(settings, forwarded, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from(PROXY, forwarded)) == expected


def test_a_spoofed_header_from_any_other_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    assert client_ip(request_from("198.51.100.9", "203.0.113.5")) == "198.51.100.9"


@pytest.mark.django_db
def test_behind_the_proxy_one_persons_failures_do_not_lock_out_another(client, owner, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_RATE_LIMIT_PER_IP = 3
    for n in range(5):
        client.post(
            "/accounts/login/",
            {"login": f"guess{n}@example.com", "password": "x"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )

    response = client.post(
        "/accounts/login/",
        {"login": owner.email, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )

    assert response.status_code == 302


@pytest.mark.django_db
def test_audit_events_record_the_client_not_the_proxy(owner, org, settings):
    settings.TRUSTED_PROXIES = [PROXY]

    signed_in(owner).post(
        "/api/api-keys/",
        {"name": "Behind proxy", "organization_id": str(org.pk)},
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )

    assert AuditEvent.objects.get(action=AuditAction.KEY_CREATED).ip == "198.51.100.20"
