"""`POST /api/auth/login`, `/api/auth/refresh` and `/api/auth/logout`: tokens for API clients.

Each only validates its JSON body and calls `accounts.api.signin` and `accounts.jwt`.
"""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    LoginSerializer,
    RefreshTokenSerializer,
    SignInErrorSerializer,
    TokenPairSerializer,
)
from accounts.api.signin import sign_in
from accounts.jwt import (
    BEARER_CHALLENGE,
    TokenPair,
    end_refresh_token,
    issue_tokens,
    refresh_tokens,
)
from core.api import docs
from core.api.strict import StrictInput

_REFUSED = {
    401: OpenApiResponse(
        SignInErrorSerializer,
        description="Wrong email or password (the same answer for an unknown email), or a "
        "two-factor code missing (`two_factor_required`) or wrong.",
    ),
    403: OpenApiResponse(SignInErrorSerializer, description="The email is not verified yet."),
    429: OpenApiResponse(
        SignInErrorSerializer,
        description="Too many sign-in attempts (counted with the sign-in page's): retry after "
        "the number of seconds in `Retry-After`.",
    ),
}
_REFRESH_REFUSED = OpenApiResponse(
    docs.ErrorSerializer,
    description="The refresh token is invalid, expired or already used, or the account was "
    "deactivated or its password changed since: sign in again.",
)


@sensitive_variables()
def token_response(pair: TokenPair) -> Response:
    """Answer 200 with a token pair, kept out of every cache."""
    response = Response(
        {
            "access_token": pair.access,
            "refresh_token": pair.refresh,
            "token_type": "Bearer",
            "expires_in": pair.expires_in,
        }
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


class TokenEndpoint(StrictInput, APIView):
    """What the three endpoints share: the JSON body is the only credential.

    No session authenticates here, so no CSRF check applies (nothing here reads a cookie)
    and nothing sets one. Sign-in attempts count through the sign-in throttle instead of the
    API's per-user limits; refresh and logout need a signed token, which nobody can guess.
    No query parameter is taken: a password or a token has no business in a URL.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def get_authenticate_header(self, request: Request) -> str:
        # A 401 says which scheme the token is for (without it DRF would answer 403).
        return BEARER_CHALLENGE


class LoginView(TokenEndpoint):
    """Sign in with email and password (and two-factor code) for an access and refresh token."""

    @docs.operation(
        operation_id="auth_login",
        summary="Sign in for tokens",
        description="Returns a short-lived access token, to send as `Authorization: Bearer "
        "<access_token>` to the key-management endpoints (it acts as you, with your role), "
        "and a refresh token. With two-factor on, send `code` too. Every attempt counts "
        "against the same sign-in limits as the sign-in page.",
        request=LoginSerializer,
        responses={
            200: TokenPairSerializer,
            **docs.errors(400, 415),
            **_REFUSED,
        },
        auth=[],
    )
    @sensitive_variables()
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = sign_in(
            request,
            email=data["email"],
            password=data["password"],
            code=data.get("code") or None,
        )
        return token_response(issue_tokens(user=user))


class RefreshView(TokenEndpoint):
    """Exchange a refresh token for a new pair; the refresh token used stops working."""

    @docs.operation(
        operation_id="auth_refresh",
        summary="Refresh tokens",
        description="Returns a new access token and a new refresh token. The refresh token "
        "sent is used up: sending it again is refused.",
        request=RefreshTokenSerializer,
        responses={200: TokenPairSerializer, **docs.errors(400, 415), 401: _REFRESH_REFUSED},
        auth=[],
    )
    @sensitive_variables()
    def post(self, request: Request) -> Response:
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = refresh_tokens(raw_refresh=serializer.validated_data["refresh_token"])
        return token_response(pair)


class LogoutView(TokenEndpoint):
    """Sign out: the refresh token stops working."""

    @docs.operation(
        operation_id="auth_logout",
        summary="Sign out",
        description="Ends the refresh token: it refreshes nothing any more. Access tokens "
        "already issued expire on their own within minutes (`expires_in`).",
        request=RefreshTokenSerializer,
        responses={204: None, **docs.errors(400, 415), 401: _REFRESH_REFUSED},
        auth=[],
    )
    @sensitive_variables()
    def post(self, request: Request) -> Response:
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        end_refresh_token(raw_refresh=serializer.validated_data["refresh_token"])
        return Response(status=204)
