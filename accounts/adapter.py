"""allauth, adapted to Keyportal's accounts.

- One spelling of each address (`normalize_login_email`: NFKC, trimmed, case-folded) for
  sign-up, sign-in, password reset and uniqueness, as `organizations.User` stores it.
- One sign-in throttle: the sign-in page counts its attempts itself
  (`organizations.views.login`), so allauth's own failed-password counter stays out of it,
  and a password typed again to confirm access counts against the same limits.
- Sign-up is open when `ACCOUNT_SIGNUP_OPEN` says so, and otherwise only to a visitor
  holding an open invitation.
- A sign-in counts as a fresh authentication for the steps that ask for the password again.
- Links in emails point at `SITE_URL` when it is set, not at whatever host a request named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import (
    AUTHENTICATION_METHODS_SESSION_KEY,
    get_authentication_records,
)
from allauth.core import context
from django import forms
from django.conf import settings
from django.http import HttpRequest

from accounts.selectors import signup_invitation
from core.clients import client_ip
from organizations.models import normalize_login_email
from organizations.views.login import sign_in_throttled, too_many_attempts_message

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


def on_site(url: str) -> str:
    """`url` moved onto the configured `SITE_URL` (unchanged when it is unset)."""
    site = getattr(settings, "SITE_URL", "")
    if not site:
        return url
    parts = urlsplit(url)
    return f"{site}{parts.path}" + (f"?{parts.query}" if parts.query else "")


class AccountAdapter(DefaultAccountAdapter):
    """Keyportal's rules for allauth's account flows."""

    def clean_email(self, email: str) -> str:
        return normalize_login_email(super().clean_email(email))

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_SIGNUP_OPEN or signup_invitation(request) is not None

    def get_client_ip(self, request: HttpRequest) -> str:
        # The same client address as the audit trail and the sign-in throttle: behind a
        # trusted proxy, the forwarded one (core.clients).
        return client_ip(request) or super().get_client_ip(request)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Count nothing here: every password check is counted by the one sign-in throttle
        (the sign-in view before it authenticates, `reauthenticate` below)."""

    def reauthenticate(self, user: AbstractBaseUser, password: str) -> bool:
        # Typing the password again to confirm access is a password guess like any other.
        seconds_left = sign_in_throttled(context.request, user.email)
        if seconds_left is not None:
            raise forms.ValidationError(too_many_attempts_message(seconds_left))
        return super().reauthenticate(user, password)

    def post_login(self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> Any:
        # A sign-in just now is as fresh as typing the password again: the steps that ask
        # for it again (creating or rotating a key, two-factor changes) ask only once the
        # last authentication is older than ACCOUNT_REAUTHENTICATION_TIMEOUT. allauth by
        # itself counts only an explicit re-authentication.
        records = get_authentication_records(request, user)
        if records:
            records[-1] = {**records[-1], "reauthenticated": True}
            request.session[AUTHENTICATION_METHODS_SESSION_KEY] = records
        return super().post_login(request, user, **kwargs)

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))
