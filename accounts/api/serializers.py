"""The input and output of token login: sign in, refresh, sign out."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api.signin import (
    EMAIL_NOT_VERIFIED_CODE,
    INVALID_CREDENTIALS_CODE,
    TOO_MANY_ATTEMPTS_CODE,
    TWO_FACTOR_INVALID_CODE,
    TWO_FACTOR_REQUIRED_CODE,
)
from core.api.serializers import ClosedSerializer, StrictCharField

# Long enough for any token this server issues, short enough that no body is a burden.
MAX_TOKEN_LENGTH = 4096


class LoginSerializer(ClosedSerializer):
    """Email and password, and the two-factor code when the account has two-factor on."""

    email = StrictCharField(max_length=254, help_text="The account's sign-in email address.")
    password = StrictCharField(max_length=4096, trim_whitespace=False)
    code = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="With two-factor on: the code from the authenticator app, or an unused "
        "recovery code (each recovery code works once).",
    )


class RefreshTokenSerializer(ClosedSerializer):
    """A refresh token, as the last sign-in or refresh returned it."""

    refresh_token = StrictCharField(max_length=MAX_TOKEN_LENGTH)


class TokenPairSerializer(serializers.Serializer):
    """What a sign-in or a refresh returns."""

    access_token = serializers.CharField(
        read_only=True,
        help_text="Send it as `Authorization: Bearer <access_token>` to the key-management "
        "endpoints. Short-lived: see `expires_in`.",
    )
    refresh_token = serializers.CharField(
        read_only=True,
        help_text="Exchange it at `/api/auth/refresh` for a new pair before the access token "
        "expires; it works once, and for at most a day.",
    )
    token_type = serializers.ChoiceField(choices=["Bearer"], read_only=True)
    expires_in = serializers.IntegerField(
        read_only=True, help_text="Seconds until the access token expires."
    )


class SignInErrorSerializer(serializers.Serializer):
    """A refused sign-in: what went wrong, and a code a client can branch on."""

    detail = serializers.CharField(help_text="What went wrong, in one sentence.")
    code = serializers.ChoiceField(
        choices=[
            INVALID_CREDENTIALS_CODE,
            EMAIL_NOT_VERIFIED_CODE,
            TWO_FACTOR_REQUIRED_CODE,
            TWO_FACTOR_INVALID_CODE,
            TOO_MANY_ATTEMPTS_CODE,
        ],
        help_text="`two_factor_required`: send the request again with `code`.",
    )
