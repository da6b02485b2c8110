"""The Notices page: a person turns their own expiry reminders off and on."""

from __future__ import annotations

import pytest

from accounts.models import NoticePreferences
from accounts.views import REMINDERS_OFF, REMINDERS_ON, SECURITY_NOTICES_ALWAYS
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

URL = "/accounts/notices/"


def test_reminders_are_on_until_turned_off_and_the_page_says_security_notices_stay(owner):
    response = signed_in(owner).get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="expiry_reminders"' in body and "checked" in body
    assert SECURITY_NOTICES_ALWAYS in body and "csrfmiddlewaretoken" in body


def test_turning_reminders_off_and_on_again_is_kept_for_that_person_only(owner, admin):
    client = signed_in(owner)

    response = client.post(URL, {}, follow=True)
    assert REMINDERS_OFF in response.content.decode()
    assert NoticePreferences.objects.get(user=owner).expiry_reminders is False
    assert not NoticePreferences.objects.filter(user=admin).exists()
    assert "checked" not in client.get(URL).content.decode()

    response = client.post(URL, {"expiry_reminders": "on"}, follow=True)
    assert REMINDERS_ON in response.content.decode()
    assert NoticePreferences.objects.get(user=owner).expiry_reminders is True


def test_a_visitor_is_sent_to_sign_in_and_changes_nothing(client):
    response = client.post(URL, {})

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not NoticePreferences.objects.exists()


def test_the_form_needs_its_csrf_token(owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.post(URL, {}).status_code == 403
    assert not NoticePreferences.objects.exists()
