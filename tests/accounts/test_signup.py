"""Sign-up by email: one account per address (in any spelling), open or by invitation,
and no sign-in before the address is confirmed."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.forms import SIGNUP_NOT_INVITED_ADDRESS
from core.models import AuditAction, AuditEvent
from organizations.models import Invitation, User
from organizations.selectors import INVITATION_SESSION_KEY
from tests.accounts.conftest import last_mail_to, link_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh long passphrase"


def sign_up(client, email, password=NEW_PASSWORD):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": password, "password2": password}
    )


def sign_in(client, email, password=NEW_PASSWORD):
    return client.post(reverse("login"), {"login": email, "password": password})


def test_the_sign_up_page_is_keyportals_own(signup_open):
    response = Client().get(reverse("account_signup"))
    html = response.content.decode()

    assert response.status_code == 200
    assert "portal/portal.css" in html and "accounts/accounts.css" in html
    assert "csrfmiddlewaretoken" in html and 'name="password2"' in html
    assert "<script>" not in html and " style=" not in html


def test_signing_up_creates_an_unverified_account_and_mails_a_link(signup_open):
    response = sign_up(Client(), "New.Person@Example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "new.person@example.com"
    assert user.check_password(NEW_PASSWORD)
    assert not EmailAddress.objects.get(user=user).verified
    message = last_mail_to("new.person@example.com")
    assert message.subject == "Keyportal: Confirm your email address"
    assert "/accounts/confirm-email/" in message.body
    assert AuditEvent.objects.get(action=AuditAction.USER_SIGNED_UP).actor == user


def test_an_unconfirmed_account_cannot_sign_in_until_its_link_is_followed(signup_open):
    client = Client()
    sign_up(client, "new@example.com")

    refused = sign_in(client, "new@example.com")

    assert refused["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    confirm = link_in(last_mail_to("new@example.com"), "/accounts/confirm-email/")
    assert client.post(confirm).status_code == 302  # the button on the link's page
    assert EmailAddress.objects.get(email="new@example.com").verified
    signed_in = sign_in(client, "new@example.com")
    assert signed_in["Location"] == reverse("integrations")
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)


def test_opening_the_link_alone_confirms_nothing(signup_open):
    # Link scanners in mail systems open links: confirming takes the page's button.
    client = Client()
    sign_up(client, "new@example.com")
    confirm = link_in(last_mail_to("new@example.com"), "/accounts/confirm-email/")

    page = client.get(confirm)

    assert page.status_code == 200 and "Confirm your email address" in page.content.decode()
    assert not EmailAddress.objects.get(email="new@example.com").verified


def test_a_look_alike_spelling_of_a_taken_address_makes_no_second_account(signup_open, owner):
    look_alike = owner.email.replace("o", "\uff4f", 1).upper()  # fullwidth o, upper case

    response = sign_up(Client(), look_alike)

    # The same answer as a new address (no enumeration); the owner hears of it by mail.
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email=owner.email).count() == 1
    assert User.objects.count() == 1
    assert last_mail_to(owner.email).subject == "Keyportal: Your Keyportal account"


def test_closed_sign_up_is_by_invitation_and_creates_nothing(settings):
    settings.ACCOUNT_SIGNUP_OPEN = False
    client = Client()

    page = client.get(reverse("account_signup"))
    posted = sign_up(client, "stranger@example.com")

    assert "Sign-up is by invitation" in page.content.decode()
    assert "Sign-up is by invitation" in posted.content.decode()
    assert not User.objects.exists()
    assert mail.outbox == []
    assert "Create an account" not in client.get(reverse("login")).content.decode()


def invite(org, owner, email="invitee@example.com"):
    return Invitation.objects.create(
        organization=org, email=email, invited_by=owner, token_hash="0" * 64
    )


def holding(invitation) -> Client:
    """A visitor who opened the invitation's link (its page puts the id in the session)."""
    client = Client()
    session = client.session
    session[INVITATION_SESSION_KEY] = str(invitation.pk)
    session.save()
    return client


def test_closed_sign_up_lets_an_invitee_sign_up_with_the_invited_address(settings, org, owner):
    settings.ACCOUNT_SIGNUP_OPEN = False
    client = holding(invite(org, owner))

    page = client.get(reverse("account_signup"))
    response = sign_up(client, "Invitee@Example.com")

    assert 'value="invitee@example.com"' in page.content.decode()
    assert "Happy Paws Clinic" in page.content.decode()
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email="invitee@example.com").exists()


def test_an_invitation_opens_sign_up_for_its_address_only(settings, org, owner):
    settings.ACCOUNT_SIGNUP_OPEN = False
    client = holding(invite(org, owner))

    response = sign_up(client, "someone.else@example.com")

    assert response.status_code == 200
    html = response.content.decode()
    assert SIGNUP_NOT_INVITED_ADDRESS.format(email="invitee@example.com") in html
    assert not User.objects.filter(email="someone.else@example.com").exists()


def test_a_revoked_invitation_no_longer_opens_sign_up(settings, org, owner):
    settings.ACCOUNT_SIGNUP_OPEN = False
    invitation = invite(org, owner)
    client = holding(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(status="revoked")

    response = sign_up(client, "invitee@example.com")

    assert "Sign-up is by invitation" in response.content.decode()
    assert not User.objects.filter(email="invitee@example.com").exists()


def test_sign_up_refuses_a_weak_password_and_creates_nothing(signup_open):
    response = sign_up(Client(), "new@example.com", password="password")

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.exists()


def test_factory_users_arrive_verified_and_sign_in():
    user = UserFactory(email="made@example.com")

    response = Client().post(reverse("login"), {"login": user.email, "password": PASSWORD})

    assert response["Location"] == reverse("integrations")


def test_a_user_created_without_a_verified_address_is_mailed_a_link_at_sign_in():
    user = UserFactory(email="unverified@example.com", verified_email=False)
    client = Client()

    response = client.post(reverse("login"), {"login": user.email, "password": PASSWORD})

    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert last_mail_to(user.email).subject == "Keyportal: Confirm your email address"
