"""Token login for API clients: access and refresh tokens (JWTs) that act as the person.

Built on djangorestframework-simplejwt's token classes and its `token_blacklist` app. What
this module adds, and why:

- Every token carries a claim `sv`, a fragment of `user.get_session_auth_hash()`, which
  changes with the password. It is checked on every request and every refresh, so a
  password change or reset ends every token at once, as it ends every other session.
- A refresh token is single-use: a refresh ends the one it used (blacklisted) and returns
  a new pair; logout ends one. The outstanding-token rows keep a token's id (`jti`), never
  the token: whoever reads the database must not find credentials there.
- `AccessTokenAuthentication` claims only JWT-shaped `Authorization: Bearer` values, so an
  API key in the same header passes on to `APIKeyAuthentication` untouched.
- An access token is the person, like a session without CSRF (it is never sent by a
  browser on its own): `request.auth` is the token, which no permission class mistakes for
  a scoped credential, so the role rules are exactly a session's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.views.decorators.debug import sensitive_variables
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from core.credentials import looks_like_jwt
from core.ids import parse_uuid
from organizations.models import User

SESSION_VERSION_CLAIM = "sv"
BEARER_CHALLENGE = 'Bearer realm="api"'

ACCESS_INVALID = "Invalid access token."
ACCESS_EXPIRED = "Access token expired: get a new one from /api/auth/refresh, or sign in again."
REFRESH_INVALID = "Invalid, expired or already used refresh token: sign in again."
ACCOUNT_INACTIVE = "This account is deactivated."
CREDENTIALS_CHANGED = "The password changed since this token was issued: sign in again."


def session_version(user: User) -> str:
    """Return the `sv` claim for `user`: it changes whenever their password does."""
    return user.get_session_auth_hash()[:16]


def token_user(token: Token, *, invalid: str = ACCESS_INVALID) -> User:
    """Return the active user `token` acts for, or refuse it (401; `invalid` when no user).

    Read fresh on every request: a deactivation or a password change ends the token at
    once, and nothing about the user is trusted from the token but its id and `sv`.
    """
    user_id = parse_uuid(token.get(api_settings.USER_ID_CLAIM))
    user = None if user_id is None else User.objects.filter(pk=user_id).first()
    if user is None:
        raise exceptions.AuthenticationFailed(invalid)
    if not api_settings.USER_AUTHENTICATION_RULE(user):
        raise exceptions.AuthenticationFailed(ACCOUNT_INACTIVE)
    if not constant_time_compare(str(token.get(SESSION_VERSION_CLAIM, "")), session_version(user)):
        raise exceptions.AuthenticationFailed(CREDENTIALS_CHANGED)
    return user


@dataclass(frozen=True)
class TokenPair:
    """What a sign-in or a refresh hands the client."""

    access: str
    refresh: str
    expires_in: int  # the access token's lifetime in seconds


@sensitive_variables()
@transaction.atomic
def issue_tokens(*, user: User) -> TokenPair:
    """Issue an access token and a refresh token for `user`, who has just proved who they are.

    The refresh token is recorded as outstanding (by its id only), so it can be ended.
    """
    refresh = RefreshToken()
    refresh[api_settings.USER_ID_CLAIM] = str(user.pk)
    refresh[SESSION_VERSION_CLAIM] = session_version(user)
    OutstandingToken.objects.create(
        user=user,
        jti=refresh[api_settings.JTI_CLAIM],
        token="",  # the token is a credential: the row keeps its id and expiry only
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    return TokenPair(
        access=str(refresh.access_token),
        refresh=str(refresh),
        expires_in=int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    )


@sensitive_variables()
def _valid_refresh(raw: str) -> RefreshToken:
    """Decode a refresh token: signature, expiry, type and blacklist (401 when any fails)."""
    try:
        return RefreshToken(raw)
    except TokenError as error:
        raise exceptions.AuthenticationFailed(REFRESH_INVALID) from error


@sensitive_variables()
@transaction.atomic
def refresh_tokens(*, raw_refresh: str) -> TokenPair:
    """End the refresh token `raw_refresh` and issue a new pair for its user.

    Refused (401) when the token is invalid, expired or already used, or when its user has
    been deactivated or changed their password since. Of two concurrent refreshes with one
    token only one wins: the blacklist row is unique per token.
    """
    refresh = _valid_refresh(raw_refresh)
    user = token_user(refresh, invalid=REFRESH_INVALID)
    _, ended_now = refresh.blacklist()
    if not ended_now:
        raise exceptions.AuthenticationFailed(REFRESH_INVALID)
    return issue_tokens(user=user)


@sensitive_variables()
@transaction.atomic
def end_refresh_token(*, raw_refresh: str) -> None:
    """End the refresh token `raw_refresh` (sign out): it refreshes nothing any more.

    Access tokens already issued run out on their own within `ACCESS_TOKEN_LIFETIME`.
    """
    _valid_refresh(raw_refresh).blacklist()


class AccessTokenAuthentication(JWTAuthentication):
    """Authenticate `Authorization: Bearer <access token>` as the token's user.

    Returns None for anything else (no header, another scheme, an API key), leaving it to
    the next authentication class. A JWT-shaped value is this class's to answer: an invalid
    or expired one is a 401 saying which, never passed on.
    """

    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[User, AccessToken] | None:
        raw = self.bearer_jwt(request)
        if raw is None:
            return None
        token = self.get_validated_token(raw)
        return self.get_user(token), token

    @staticmethod
    def bearer_jwt(request: Request) -> str | None:
        """Return the JWT-shaped value of `Authorization: Bearer …`, else None."""
        header = request.META.get("HTTP_AUTHORIZATION")
        if not header:
            return None
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not looks_like_jwt(value):
            return None
        return value

    def get_validated_token(self, raw_token: str | bytes) -> AccessToken:
        try:
            return AccessToken(raw_token)
        except ExpiredTokenError as error:
            raise exceptions.AuthenticationFailed(ACCESS_EXPIRED) from error
        except TokenError as error:
            raise exceptions.AuthenticationFailed(ACCESS_INVALID) from error

    def get_user(self, validated_token: Token) -> User:
        return token_user(validated_token)

    def authenticate_header(self, request: Request) -> str:
        return BEARER_CHALLENGE
