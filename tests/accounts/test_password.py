"""Password reset (single-use link) and change: both end the account's other sessions."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import AuditAction, AuditEvent
from tests.accounts.conftest import last_mail_to, link_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another long passphrase"


def signed_in_on_the_page(user, password=PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"login": user.email, "password": password})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return client


def is_signed_in(client) -> bool:
    """Whether `client`'s session still opens the pages (else they send it to sign in)."""
    response = client.get(reverse("integrations"))
    return not response.get("Location", "").startswith(reverse("login"))


def reset_link(user) -> str:
    Client().post(reverse("account_reset_password"), {"email": user.email.upper()})
    return link_in(last_mail_to(user.email), "/accounts/password/reset/key/")


def set_through(link: str, password: str = NEW_PASSWORD):
    client = Client()
    form = client.get(link, follow=True)  # the key moves from the URL into the session
    return client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": password, "password2": password},
    )


def test_asking_for_a_reset_mails_a_link_with_a_text_and_an_html_part(owner):
    response = Client().post(reverse("account_reset_password"), {"email": owner.email})

    assert response["Location"] == reverse("account_reset_password_done")
    message = last_mail_to(owner.email)
    assert message.subject == "Keyportal: Reset your password"
    html, kind = message.alternatives[0]
    assert kind == "text/html" and "Choose a new password" in html
    assert link_in(message, "/accounts/password/reset/key/") in html


def test_an_unknown_address_gets_the_same_answer(owner):
    known = Client().post(reverse("account_reset_password"), {"email": owner.email})
    unknown = Client().post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert last_mail_to("nobody@example.com").subject.startswith("Keyportal: No Keyportal")


def test_the_link_sets_a_new_password_and_ends_every_other_session(owner):
    elsewhere = signed_in_on_the_page(owner)
    link = reset_link(owner)

    response = set_through(link)

    assert response["Location"] == reverse("account_reset_password_from_key_done")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert not is_signed_in(elsewhere)  # its session hash no longer matches
    assert AuditEvent.objects.filter(action=AuditAction.USER_PASSWORD_RESET, actor=owner).exists()
    assert last_mail_to(owner.email).subject == "Keyportal: Your password was reset"


def test_the_link_works_once(owner):
    link = reset_link(owner)
    set_through(link)

    again = Client().get(link, follow=True)

    assert "This link no longer works" in again.content.decode()
    second = set_through(link, "yet another long passphrase")
    assert "This link no longer works" in second.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_changing_the_password_keeps_this_session_and_ends_the_others(owner):
    here, elsewhere = signed_in_on_the_page(owner), signed_in_on_the_page(owner)

    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    event = AuditEvent.objects.get(action=AuditAction.USER_PASSWORD_CHANGED)
    assert (event.actor, event.organization) == (owner, None)
    message = last_mail_to(owner.email)
    assert message.subject == "Keyportal: Your password was changed"
    assert "IP address: 127.0.0.1" in message.body


def test_a_wrong_current_password_changes_nothing(owner):
    client = signed_in_on_the_page(owner)
    mail.outbox.clear()

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action=AuditAction.USER_PASSWORD_CHANGED).exists()
