"""Check a token sign-in as the sign-in page does: throttle, password, email, second factor.

- Every attempt counts through the one sign-in throttle (`sign_in_throttled`), shared with
  the pages and the admin: an attacker gains nothing by switching doors.
- The password goes through Django's `authenticate`, whose backends hash a password even
  for an unknown email, so neither the answer nor its timing says whether an account
  exists; an inactive account gets the same answer as a wrong password.
- A verified email address (allauth's `EmailAddress`) is required, as for the pages.
- With two-factor on, a code is required: a TOTP code or an unused recovery code, checked
  by allauth.mfa itself, under allauth's per-account limit on codes (shared with the pages,
  so a password holder cannot guess codes from many addresses at once).
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.views.decorators.debug import sensitive_variables
from rest_framework import exceptions
from rest_framework.request import Request

from organizations.models import User, normalize_login_email
from organizations.views.login import TOO_MANY_ATTEMPTS, sign_in_throttled

INVALID_CREDENTIALS = "Wrong email or password."
EMAIL_NOT_VERIFIED = (
    "Verify your email address first: sign in on the Keyportal website to get the "
    "verification email, and follow its link."
)
TWO_FACTOR_REQUIRED = (
    "This account uses two-factor authentication: send the code from your authenticator "
    'app, or one of your recovery codes, as "code".'
)
TWO_FACTOR_INVALID = "Incorrect two-factor code."
TOO_MANY_CODES = "Too many two-factor codes tried. Wait {minutes} minute(s) and try again."

# Machine-readable `code`s, next to `detail`, for clients that branch on the refusal.
INVALID_CREDENTIALS_CODE = "invalid_credentials"
EMAIL_NOT_VERIFIED_CODE = "email_not_verified"
TWO_FACTOR_REQUIRED_CODE = "two_factor_required"
TWO_FACTOR_INVALID_CODE = "two_factor_invalid"
TOO_MANY_ATTEMPTS_CODE = "too_many_attempts"


def _refusal(kind: type[exceptions.APIException], message: str, code: str) -> Exception:
    return kind({"detail": message, "code": code}, code=code)


class TooManyAttempts(exceptions.APIException):
    """429 with `Retry-After` (DRF's handler sends `wait` as that header)."""

    status_code = 429

    def __init__(self, seconds_left: float, message: str = TOO_MANY_ATTEMPTS) -> None:
        self.wait = int(seconds_left) + 1
        minutes = max(1, round(seconds_left / 60))
        super().__init__(
            {"detail": message.format(minutes=minutes), "code": TOO_MANY_ATTEMPTS_CODE},
            code=TOO_MANY_ATTEMPTS_CODE,
        )


def email_verified(user: User) -> bool:
    """True when `user`'s primary email address is verified (allauth), as sign-in requires."""
    if not apps.is_installed("allauth.account"):
        return True  # no verification exists to ask for
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user_id=user.pk, primary=True, verified=True).exists()


def second_factors(user: User) -> list:
    """`user`'s allauth.mfa authenticators, the TOTP one first; empty when two-factor is off."""
    if not apps.is_installed("allauth.mfa"):
        return []
    from allauth.mfa.models import Authenticator

    found = list(Authenticator.objects.filter(user_id=user.pk))
    return sorted(found, key=lambda a: a.type != Authenticator.Type.TOTP)


@sensitive_variables("code")
def check_second_factor(request: Request, user: User, code: str | None) -> None:
    """Refuse unless two-factor is off for `user` or `code` is one of their valid codes.

    A TOTP code is refused once used (allauth remembers it for its window); a recovery code
    is used up.
    """
    authenticators = second_factors(user)
    if not authenticators:
        return
    if not code:
        raise _refusal(
            exceptions.AuthenticationFailed, TWO_FACTOR_REQUIRED, TWO_FACTOR_REQUIRED_CODE
        )
    from allauth.core import ratelimit
    from allauth.mfa.models import Authenticator

    # allauth's own key for a user's code attempts, so the pages' attempts count here too.
    limit_key = f"mfa-auth-user-{user.pk}"
    if not ratelimit.consume(request, action="login_failed", key=limit_key):
        window = getattr(settings, "ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT", 300)
        raise TooManyAttempts(window, TOO_MANY_CODES)
    for authenticator in authenticators:
        # A security key (WebAuthn) cannot check a typed code.
        if authenticator.type == Authenticator.Type.WEBAUTHN:
            continue
        if authenticator.wrap().validate_code(code):
            authenticator.record_usage()
            ratelimit.clear(request, action="login_failed", key=limit_key)
            return
    raise _refusal(exceptions.AuthenticationFailed, TWO_FACTOR_INVALID, TWO_FACTOR_INVALID_CODE)


@sensitive_variables("password", "code")
def sign_in(request: Request, *, email: str, password: str, code: str | None) -> User:
    """Return the user these credentials prove, or refuse with 429, 401 or 403 saying why."""
    seconds_left = sign_in_throttled(request, email)
    if seconds_left is not None:
        # Over the limit the password is not even checked: the answer tells nothing.
        raise TooManyAttempts(seconds_left)
    user = authenticate(request, username=normalize_login_email(email), password=password)
    if user is None:
        raise _refusal(
            exceptions.AuthenticationFailed, INVALID_CREDENTIALS, INVALID_CREDENTIALS_CODE
        )
    if not email_verified(user):
        raise _refusal(exceptions.PermissionDenied, EMAIL_NOT_VERIFIED, EMAIL_NOT_VERIFIED_CODE)
    check_second_factor(request, user, code)
    return user
