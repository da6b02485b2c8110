"""Every account email has a text and an HTML part in Keyportal's style, and mail really
leaves through SMTP when `EMAIL_URL` names a server."""

from __future__ import annotations

import email
import socket
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from allauth.account.adapter import get_adapter
from allauth.core import context
from django.core.mail import EmailMultiAlternatives
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from tests.accounts.conftest import last_mail_to, link_in

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Everything any of these messages may name, so each renders whole.
CONTEXT = {
    "user": None,
    "email": "person@example.com",
    "activate_url": "http://testserver/accounts/confirm-email/KEY/",
    "password_reset_url": "http://testserver/accounts/password/reset/key/1-KEY/",
    "signup_url": "http://testserver/accounts/signup/",
    "code": "ABC123",
    "ip": "198.51.100.7",
    "user_agent": "Firefox",
    "timestamp": None,
    "from_email": "old@example.com",
    "to_email": "new@example.com",
    "deleted_email": "old@example.com",
}


def shipped_messages() -> list[str]:
    """The template prefix of every account email Keyportal ships (`…_subject.txt`)."""
    found = sorted(TEMPLATES.glob("*/email/*_subject.txt"))
    prefixes = [str(p.relative_to(TEMPLATES))[: -len("_subject.txt")] for p in found]
    return [p for p in prefixes if not p.startswith("organizations/")]


def test_keyportal_ships_every_email_allauth_may_send_here():
    shipped = set(shipped_messages())
    assert {
        "account/email/email_confirmation",
        "account/email/email_confirmation_signup",
        "account/email/password_reset_key",
        "account/email/account_already_exists",
        "account/email/unknown_account",
        "account/email/password_changed",
        "account/email/password_set",
        "account/email/password_reset",
        "mfa/email/totp_activated",
        "mfa/email/totp_deactivated",
        "mfa/email/recovery_codes_generated",
    } <= shipped


@pytest.mark.parametrize("prefix", shipped_messages())
def test_each_email_has_a_text_and_an_html_part_in_keyportals_style(prefix):
    request = RequestFactory().get("/")
    with context.request_context(request):
        message = get_adapter(request).render_mail(prefix, "person@example.com", CONTEXT)

    assert isinstance(message, EmailMultiAlternatives)
    assert message.subject.startswith("Keyportal: ") and "{" not in message.subject
    assert message.body.strip() and "<" not in message.body.replace("<br>", "")
    assert message.body.rstrip().endswith("Keyportal · organization API keys")
    ((html, kind),) = message.alternatives
    assert kind == "text/html"
    assert "#101828" in html and ">Keyportal</td>" in html  # the header bar
    assert "<script" not in html


def test_the_verification_email_sent_at_sign_up_has_both_parts(settings):
    settings.ACCOUNT_SIGNUP_OPEN = True
    Client().post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
    )

    message = last_mail_to("new@example.com")
    link = link_in(message, "/accounts/confirm-email/")
    ((html, _),) = message.alternatives
    assert link in html and "Confirm my address" in html
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


def test_links_in_emails_point_at_site_url_when_it_is_set(settings, owner):
    settings.SITE_URL = "https://portal.example.com"

    Client().post(reverse("account_reset_password"), {"email": owner.email})

    assert (
        "https://portal.example.com/accounts/password/reset/key/" in last_mail_to(owner.email).body
    )


class Inbox:
    """An SMTP server's handler that keeps what it is sent."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free loopback port, for the length of one test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_a_verification_email_really_goes_out_through_smtp(smtp_server, settings):
    port, inbox = smtp_server
    settings.ACCOUNT_SIGNUP_OPEN = True

    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
    ):
        Client().post(
            reverse("account_signup"),
            {"email": "new@example.com", "password1": "a long pass", "password2": "a long pass"},
        )

    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["new@example.com"]
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"] == "Keyportal: Confirm your email address"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "/accounts/confirm-email/" in text and "/accounts/confirm-email/" in html
