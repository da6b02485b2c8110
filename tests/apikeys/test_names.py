"""Key names that lie are refused by every interface: the API, the pages, the admin, commands.

A right-to-left override (U+202E) before "live" showed "Backup evil" in the key list;
zero-width and other invisible characters make two different names look the same.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse
from django.utils.html import escape

from apikeys.models import APIKey
from core.models import AuditAction, AuditEvent
from organizations.names import NAME_INVISIBLE_CHARACTERS
from tests.helpers import KEYS, detail, signed_in

pytestmark = pytest.mark.django_db

NUL_REFUSED = str(ProhibitNullCharactersValidator.message)  # Django's and DRF's fields

LYING_NAMES = {
    "right-to-left override": "Backup \u202elive",
    "zero-width space": "Prod\u200bkey",
    "left-to-right mark": "Prod\u200ekey",
    "isolates": "Prod \u2066key\u2069",
    "byte-order mark": "Prod\ufeffkey",
    "line separator": "Prod\u2028key",
    "paragraph separator": "Prod\u2029key",
}
lying_names = pytest.mark.parametrize("name", LYING_NAMES.values(), ids=LYING_NAMES.keys())


def assert_refused_on_name(response):
    assert response.status_code == 400
    data = response.json()
    assert data["name"] == [NAME_INVISIBLE_CHARACTERS]
    assert NAME_INVISIBLE_CHARACTERS in data["detail"]


# REST API ------------------------------------------------------------------------------


@lying_names
def test_the_api_refuses_to_create_a_key_whose_name_lies(owner, org, name):
    body = {"name": name, "organization_id": str(org.pk)}

    response = signed_in(owner).post(KEYS, body, format="json")

    assert_refused_on_name(response)
    assert not APIKey.objects.exists()
    assert not AuditEvent.objects.exists()


@lying_names
def test_the_api_refuses_to_rename_a_key_to_a_name_that_lies(owner, make_key, name):
    key, _ = make_key(name="Kept")

    response = signed_in(owner).patch(detail(key), {"name": name}, format="json")

    assert_refused_on_name(response)
    key.refresh_from_db()
    assert key.name == "Kept"
    assert not AuditEvent.objects.filter(action=AuditAction.KEY_RENAMED).exists()


def test_a_key_authenticated_client_is_refused_too(key_client):
    client = key_client()

    response = client.post(KEYS, {"name": "Backup \u202elive"}, format="json")

    assert_refused_on_name(response)
    assert APIKey.objects.count() == 1  # only the calling key


def test_the_api_refuses_a_nul_byte_in_a_name(owner, org):
    body = {"name": "Prod\x00key", "organization_id": str(org.pk)}

    response = signed_in(owner).post(KEYS, body, format="json")

    assert response.status_code == 400
    assert NAME_INVISIBLE_CHARACTERS in response.json()["name"]
    assert not APIKey.objects.exists()


# Integrations pages --------------------------------------------------------------------


def page_form(name: str) -> dict:
    return {"name": name, "mode": "live", "scopes": ["records:read"], "expiry": "never"}


@lying_names
def test_the_create_page_shows_a_form_error_and_creates_no_key(owner, org, name):
    response = signed_in(owner).post(reverse("api-key-create", args=[org.pk]), page_form(name))

    assert response.status_code == 400
    assert escape(NAME_INVISIBLE_CHARACTERS) in response.content.decode()
    assert not APIKey.objects.exists()


def test_the_create_page_refuses_a_nul_byte_in_a_name(owner, org):
    url = reverse("api-key-create", args=[org.pk])

    response = signed_in(owner).post(url, page_form("Prod\x00key"))

    assert response.status_code == 400
    assert escape(NUL_REFUSED) in response.content.decode()
    assert not APIKey.objects.exists()


def test_the_rename_page_shows_a_form_error_and_keeps_the_name(owner, make_key):
    key, _ = make_key(name="Kept")
    url = reverse("api-key-rename", args=[key.organization_id, key.pk])

    response = signed_in(owner).post(url, {"name": "Backup \u202elive"})

    assert response.status_code == 400
    assert escape(NAME_INVISIBLE_CHARACTERS) in response.content.decode()
    key.refresh_from_db()
    assert key.name == "Kept"


# Admin ---------------------------------------------------------------------------------


def test_the_admin_add_form_shows_a_form_error_and_creates_no_key(root_client, org, owner):
    data = {
        "organization": str(org.pk),
        "created_by": str(owner.pk),
        "name": "Backup \u202elive",
        "mode": "live",
        "scopes": ["records:read"],
        "expires_at_0": "",
        "expires_at_1": "",
    }

    response = root_client.post(reverse("admin:apikeys_apikey_add"), data)

    assert response.status_code == 200
    assert escape(NAME_INVISIBLE_CHARACTERS) in response.content.decode()
    assert not APIKey.objects.exists()


def test_the_admin_change_form_shows_a_form_error_and_keeps_the_name(root_client, make_key):
    key, _ = make_key(name="Kept")

    response = root_client.post(
        reverse("admin:apikeys_apikey_change", args=[key.pk]), {"name": "Prod\u200bkey"}
    )

    assert response.status_code == 200
    assert escape(NAME_INVISIBLE_CHARACTERS) in response.content.decode()
    key.refresh_from_db()
    assert key.name == "Kept"


# Management command --------------------------------------------------------------------


def test_create_api_key_refuses_a_name_that_lies_and_creates_nothing(org, owner):
    args = ["--organization", str(org.pk), "--user", owner.email, "--name", "Backup \u202elive"]

    with pytest.raises(CommandError, match=re.escape(NAME_INVISIBLE_CHARACTERS)):
        call_command("create_api_key", *args, stdout=StringIO(), stderr=StringIO())

    assert not APIKey.objects.exists()
