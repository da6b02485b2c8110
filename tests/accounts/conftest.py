"""Fixtures for the account pages: open sign-up, mail links, TOTP codes, aged sessions."""

from __future__ import annotations

import re
import time

import pytest
from allauth.account.internal.flows import login as allauth_login
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core import mail

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def signup_open(settings):
    settings.ACCOUNT_SIGNUP_OPEN = True


def totp_code(secret: str = TOTP_SECRET, at: float | None = None) -> str:
    """The code an authenticator app shows for `secret` now (RFC 6238, 30 s, 6 digits)."""
    return format_hotp_value(hotp_value(secret, int(at or time.time()) // 30))


def with_totp(user, secret: str = TOTP_SECRET):
    """Give `user` an authenticator app with `secret`, as setting one up does."""
    TOTP.activate(user, secret)
    return user


def link_in(message, path_start: str) -> str:
    """The path of the first link in `message` (its text part) that starts with `path_start`."""
    found = re.search(rf"https?://[^/\s]+({re.escape(path_start)}\S*)", message.body)
    assert found, message.body
    return found.group(1)


def last_mail_to(address: str):
    sent = [m for m in mail.outbox if address in m.to]
    assert sent, [m.to for m in mail.outbox]
    return sent[-1]


def authenticated_long_ago(client, user) -> None:
    """Age the session's record of when `user` last typed their password: as if they
    signed in an hour ago, so the next sensitive step asks again."""
    session = client.session
    session[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time() - 3600, "reauthenticated": True}
    ]
    session[allauth_login._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
