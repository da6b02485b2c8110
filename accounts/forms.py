"""allauth's sign-in, sign-up and password-reset forms, reading every address in the one
spelling accounts are stored under (`normalize_login_email`)."""

from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from allauth.account.fields import EmailField
from allauth.core import context
from django import forms
from django.conf import settings

from accounts.selectors import signup_invitation
from organizations.models import normalize_login_email

SIGNUP_NOT_INVITED_ADDRESS = "Your invitation was sent to {email}: sign up with that address."


class NormalizedEmailField(EmailField):
    """An email field that normalizes before it validates: a fullwidth or upper-case
    spelling of an address is that address, not an invalid one."""

    def to_python(self, value: Any) -> str:
        return normalize_login_email(super().to_python(value))


def _normalize_email_field(form: forms.Form, name: str) -> None:
    old = form.fields[name]
    form.fields[name] = NormalizedEmailField(
        label="Email", required=old.required, widget=old.widget, initial=old.initial
    )


class LoginForm(allauth_forms.LoginForm):
    """Sign in with an email address (any spelling of it) and a password."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _normalize_email_field(self, "login")
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)


class SignupForm(allauth_forms.SignupForm):
    """Sign up with an email address and a password (twice).

    While sign-up is closed, only a visitor holding an open invitation gets this far
    (`AccountAdapter.is_open_for_signup`), and only with the address it was sent to: an
    invitation opens the door for its invitee, not for any account they care to create.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = None
        if not settings.ACCOUNT_SIGNUP_OPEN and context.request is not None:
            self.invitation = signup_invitation(context.request)
        _normalize_email_field(self, "email")
        if self.invitation is not None and not self.is_bound:
            self.fields["email"].initial = self.invitation.email
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)

    def clean_email(self) -> str:
        email = super().clean_email()
        invited = self.invitation
        if invited is not None and normalize_login_email(invited.email) != email:
            raise forms.ValidationError(SIGNUP_NOT_INVITED_ADDRESS.format(email=invited.email))
        return email


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    """Ask for a reset link; the answer is the same whether or not the address has an
    account (allauth's enumeration prevention)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _normalize_email_field(self, "email")
        self.fields["email"].widget.attrs.pop("placeholder", None)


class NoticePreferencesForm(forms.Form):
    """Which optional emails the signed-in person gets (security notices are not optional)."""

    expiry_reminders = forms.BooleanField(
        label="Email me before my organizations' API keys expire", required=False
    )
