"""A person's account in a real browser, at a phone's width: sign up, confirm the address
from the email, create an organization, turn on two-factor, sign back in with a code,
create a key after confirming it is them, and reset the password from another browser,
which ends the first one's session."""

from __future__ import annotations

import re

import pytest
from allauth.account.internal.flows import login as allauth_login
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from playwright.sync_api import expect

from apikeys.models import APIKey
from apikeys.show_once import SHOWN_ONCE
from organizations.models import Membership, Role, User
from tests.accounts.conftest import totp_code

pytestmark = pytest.mark.browser

EMAIL = "dr.rivera@example.com"
PASSWORD = "a long and private passphrase"
NEW_PASSWORD = "another long private passphrase"
COLLEAGUE = "nurse.kim@example.com"
PHONE = {"width": 390, "height": 844}


def link_from_last_mail(to: str, path_start: str) -> str:
    message = [m for m in mail.outbox if to in m.to][-1]
    return re.search(rf"https?://[^/\s]+({re.escape(path_start)}\S*)", message.body).group(1)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def an_hour_passes(page) -> None:
    """Age the record of the last time this browser's person typed their password."""
    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(session_key=cookie["value"])
    records = session[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY]
    session[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY] = [
        {**record, "at": record["at"] - 3600} for record in records
    ]
    session.save()


def test_an_account_from_sign_up_to_a_password_reset(page, browser, live_server, settings):
    settings.ACCOUNT_SIGNUP_OPEN = True
    page.set_viewport_size(PHONE)

    # Sign up; nothing opens until the address is confirmed from the email.
    page.goto("/accounts/signup/")
    assert fits_the_screen(page)
    page.get_by_label("Email").fill(EMAIL.upper())
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    sign_in(page)
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(link_from_last_mail(EMAIL, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()

    # Sign in: with no organization yet, create one and become its owner.
    sign_in(page)
    expect(page.get_by_role("heading", name="You are not in an organization yet")).to_be_visible()
    assert fits_the_screen(page)
    page.get_by_label("Organization name").fill("Riverside Vets")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("Riverside Vets is ready, and you are its owner.")).to_be_visible()
    user = User.objects.get(email=EMAIL)
    assert Membership.objects.get(user=user).role == Role.OWNER

    # Invite a colleague, who signs up from the invitation (in a browser of their own),
    # confirms the address, and accepts: only then a member.
    page.get_by_role("link", name="Members").click()
    page.get_by_label("Email").fill(COLLEAGUE)
    page.get_by_label("Role", exact=True).select_option(label="Member")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(f'tr[data-invitation="{COLLEAGUE}"]')).to_be_visible()
    colleague_context = browser.new_context(base_url=live_server.url)
    colleague_context.set_default_timeout(15_000)
    colleague = colleague_context.new_page()
    colleague.set_viewport_size(PHONE)
    invitation = link_from_last_mail(COLLEAGUE, "/invitations/")
    colleague.goto(invitation)
    expect(colleague.get_by_role("heading", name="Join Riverside Vets")).to_be_visible()
    colleague.get_by_role("link", name="Create an account").click()
    colleague.get_by_label("Email").fill(COLLEAGUE)
    colleague.get_by_label("Password", exact=True).fill(PASSWORD)
    colleague.get_by_label("Password (again)").fill(PASSWORD)
    colleague.get_by_role("button", name="Sign up").click()
    colleague.goto(link_from_last_mail(COLLEAGUE, "/accounts/confirm-email/"))
    colleague.get_by_role("button", name="Confirm").click()
    colleague.goto("/accounts/login/")
    colleague.get_by_label("Email").fill(COLLEAGUE)
    colleague.get_by_label("Password").fill(PASSWORD)
    colleague.get_by_role("button", name="Sign in").click()
    assert not Membership.objects.filter(user__email=COLLEAGUE).exists()
    colleague.goto(invitation)
    colleague.get_by_role("button", name="Accept and join Riverside Vets").click()
    expect(colleague).to_have_url(re.compile(r"/orgs/[0-9a-f-]+/integrations/"))
    assert Membership.objects.get(user__email=COLLEAGUE).role == Role.MEMBER
    colleague_context.close()

    # Turn on two-factor with the key the setup page shows.
    page.goto("/accounts/2fa/")
    page.get_by_role("link", name="Set up an authenticator app").click()
    assert fits_the_screen(page)
    secret = page.locator("#authenticator-secret").inner_text().strip()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)

    # Sign out, and back in: the password alone is not enough.
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page)
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/orgs/[0-9a-f-]+/integrations/api-keys/$"))

    # A while later, creating a key asks who this is first, then creates it.
    an_hour_passes(page)
    page.get_by_role("link", name="Create your first API key").click()
    page.get_by_label("Name", exact=True).fill("Lab sync")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert not APIKey.objects.exists()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(SHOWN_ONCE)).to_be_visible()
    assert APIKey.objects.get().name == "Lab sync"

    # From another browser, without JavaScript, reset the password through the email.
    other = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    other.set_default_timeout(15_000)
    elsewhere = other.new_page()
    elsewhere.set_viewport_size(PHONE)
    elsewhere.goto("/accounts/login/")
    elsewhere.get_by_role("link", name="Forgot your password?").click()
    elsewhere.get_by_label("Email").fill(EMAIL)
    elsewhere.get_by_role("button", name="Send the link").click()
    expect(elsewhere.get_by_role("heading", name="Check your email")).to_be_visible()
    elsewhere.goto(link_from_last_mail(EMAIL, "/accounts/password/reset/key/"))
    elsewhere.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    elsewhere.get_by_label("New Password (again)").fill(NEW_PASSWORD)
    elsewhere.get_by_role("button", name="Set the new password").click()
    expect(elsewhere.get_by_role("heading", name="Password changed")).to_be_visible()
    other.close()

    # The first browser's session has ended.
    page.reload()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
