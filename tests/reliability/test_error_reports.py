"""Django's error report never shows a plaintext key, wherever a request holding one fails."""

from __future__ import annotations

import sys

import pytest
from django.core.signals import got_request_exception
from django.urls import reverse
from django.views.debug import ExceptionReporter
from rest_framework.test import APIClient

from apikeys import services
from apikeys.api.views import keys as api_key_views
from apikeys.views import keys as page_views
from tests.helpers import KEYS, signed_in

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture
def error_reports():
    """The HTML error report Django would mail or show for each failing request."""
    reports: list[str] = []

    def report(sender, request, **kwargs):
        reports.append(ExceptionReporter(request, *sys.exc_info()).get_traceback_html())

    got_request_exception.connect(report)
    yield reports
    got_request_exception.disconnect(report)


def fail(*args, **kwargs):
    raise Boom("after the key was made")


@pytest.fixture
def made(monkeypatch):
    """The plaintexts of the keys the services mint during a test."""
    plaintexts: list[str] = []
    real = services.api_key_create

    def create(**kwargs):
        key, raw = real(**kwargs)
        plaintexts.append(raw)
        return key, raw

    monkeypatch.setattr(services, "api_key_create", create)
    return plaintexts


def test_an_api_create_that_fails_after_minting_reports_no_plaintext(
    owner, org, monkeypatch, error_reports, made
):
    monkeypatch.setattr(api_key_views, "secret_response", fail)
    client = signed_in(owner)
    client.raise_request_exception = False

    response = client.post(KEYS, {"name": "Doomed", "organization_id": str(org.pk)}, format="json")

    assert response.status_code == 500
    assert made and error_reports
    assert made[0] not in error_reports[0]


def test_a_page_create_that_fails_after_minting_reports_no_plaintext(
    owner, org, monkeypatch, error_reports, made
):
    monkeypatch.setattr(page_views, "redirect", fail)
    client = signed_in(owner)
    client.raise_request_exception = False

    response = client.post(
        reverse("api-key-create", args=[org.pk]),
        {"name": "Doomed", "mode": "live", "expiry": "never"},
    )

    assert response.status_code == 500
    assert made and error_reports
    assert made[0] not in error_reports[0]


def test_authentication_that_fails_mid_lookup_reports_no_plaintext(
    make_key, monkeypatch, error_reports
):
    _, raw = make_key()
    monkeypatch.setattr("apikeys.authentication.api_key_for_authentication", fail)
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/auth/me/", HTTP_X_API_KEY=raw)

    assert response.status_code == 500
    assert error_reports
    assert raw not in error_reports[0]
