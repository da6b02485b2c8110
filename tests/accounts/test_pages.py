"""The account pages are Keyportal's: its frame and stylesheets, a form per step, CSRF, and
no script of their own (every one works without JavaScript)."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import with_totp
from tests.factories import PASSWORD
from tests.helpers import reauthenticated, signed_in

pytestmark = pytest.mark.django_db

ANONYMOUS_PAGES = [
    "login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
]
SIGNED_IN_PAGES = [
    "account_change_password",
    "account_reauthenticate",
    "mfa_index",
    "mfa_activate_totp",
]


def assert_keyportal_page(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    assert "portal/portal.css" in html and "accounts/accounts.css" in html
    assert 'class="site-header"' in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script src="/static/portal/portal.js" defer>'], scripts
    if "<form" in html:
        assert "csrfmiddlewaretoken" in html
    return html


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_each_page_before_signing_in_is_keyportals(name, settings):
    settings.ACCOUNT_SIGNUP_OPEN = True

    assert_keyportal_page(Client().get(reverse(name)))


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_each_page_of_ones_own_account_is_keyportals(name, owner):
    client = Client()
    client.post(reverse("login"), {"login": owner.email, "password": PASSWORD})

    html = assert_keyportal_page(client.get(reverse(name)))

    assert owner.email in html


def test_the_recovery_codes_show_without_script(owner):
    with_totp(owner)
    codes = RecoveryCodes.activate(owner).get_unused_codes()
    client = reauthenticated(signed_in(owner), owner)  # showing them asks for it

    html = assert_keyportal_page(client.get(reverse("mfa_view_recovery_codes")))

    assert all(f"<code>{code}</code>" in html for code in codes)


def test_the_sign_in_form_labels_its_fields_for_screen_readers():
    html = Client().get(reverse("login")).content.decode()

    assert '<label for="id_login">Email</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'href="/accounts/password/reset/"' in html  # Forgot your password?


def test_the_account_menu_links_the_password_and_two_factor_pages(owner, org):
    client = Client()
    client.force_login(owner)

    html = client.get(reverse("api-keys", args=[org.pk])).content.decode()

    assert f'href="{reverse("account_change_password")}"' in html
    assert f'href="{reverse("mfa_index")}"' in html
