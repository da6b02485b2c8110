"""Adding a key in the admin: through `api_key_create`, its plaintext shown exactly once."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from apikeys import validation
from apikeys.authentication import APIKeyAuthentication
from apikeys.models import APIKey
from apikeys.show_once import NO_LONGER_SHOWN, SHOWN_ONCE
from apikeys.validation import ACTS_AS_NOT_MEMBER
from core.models import AuditAction, AuditEvent

ADD = reverse("admin:apikeys_apikey_add")
KEY_PATTERN = re.compile(r"kp_(?:live|test)_[0-9A-Za-z]{49}")


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def add_data(org, user, **overrides):
    data = {
        "organization": str(org.pk),
        "created_by": str(user.pk),
        "name": "Made in admin",
        "mode": "live",
        "scopes": ["records:read", "devices:read"],
        "expires_at_0": "",
        "expires_at_1": "",
    }
    data.update(overrides)
    return data


def test_the_add_form_offers_every_registered_scope_as_a_checkbox(root_client, settings):
    page = root_client.get(ADD).content.decode()
    for scope in settings.APIKEYS_SCOPES:
        assert f'type="checkbox" name="scopes" value="{scope}"' in page


def test_adding_a_key_shows_it_once_and_it_authenticates(root_client, org, owner):
    response = root_client.post(ADD, add_data(org, owner))

    key = APIKey.objects.get(name="Made in admin")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:apikeys_apikey_created", args=[key.pk])
    first = root_client.get(response["Location"])
    page = first.content.decode()
    (raw,) = KEY_PATTERN.findall(page)
    assert SHOWN_ONCE in page
    assert "no-store" in first["Cache-Control"]
    user, authenticated = APIKeyAuthentication().authenticate_key(raw)
    assert (user, authenticated.pk) == (owner, key.pk)
    assert (key.created_by, key.scopes) == (owner, ["devices:read", "records:read"])
    assert AuditEvent.objects.get(action=AuditAction.KEY_CREATED).api_key_id == key.pk

    second = root_client.get(response["Location"])

    # The admin gives the same advice as the Integrations page: rotate a lost key.
    assert NO_LONGER_SHOWN in second.content.decode()
    assert raw not in second.content.decode()
    assert "no-store" in second["Cache-Control"]


def test_the_new_key_is_in_no_url_cookie_message_history_or_session_afterwards(
    root_client, org, owner
):
    response = root_client.post(ADD, add_data(org, owner), follow=True)
    (raw,) = KEY_PATTERN.findall(response.content.decode())

    assert all(raw not in url for url, _ in response.redirect_chain)
    assert all(raw not in morsel.value for morsel in root_client.cookies.values())
    assert all(raw not in message for message in messages_of(response))
    assert all(raw not in str(value) for value in root_client.session.values())
    assert not LogEntry.objects.filter(change_message__contains=raw).exists()
    assert not LogEntry.objects.filter(object_repr__contains=raw).exists()


def test_a_key_cannot_act_as_someone_outside_the_organization(root_client, org, outsider):
    response = root_client.post(ADD, add_data(org, outsider))

    assert response.status_code == 200
    assert ACTS_AS_NOT_MEMBER in response.content.decode()
    assert not APIKey.objects.exists()


def test_staff_may_add_a_read_only_key_acting_as_a_member(root_client, org, member):
    response = root_client.post(ADD, add_data(org, member))

    assert response.status_code == 302
    key = APIKey.objects.get()
    assert key.created_by == member
    assert AuditEvent.objects.get(api_key=key).actor.is_superuser


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"expires_at_0": "2000-01-01", "expires_at_1": "00:00:00"}, validation.EXPIRY_IN_PAST),
        ({"name": "   "}, "This field is required."),
        ({"scopes": ["root:everything"]}, "Select a valid choice."),
        ({"mode": "prod"}, "Select a valid choice."),
    ],
    ids=["past expiry", "blank name", "unknown scope", "unknown mode"],
)
def test_bad_input_on_the_add_form_is_an_inline_error_and_creates_nothing(
    root_client, org, owner, overrides, message
):
    response = root_client.post(ADD, add_data(org, owner, **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not APIKey.objects.exists()
