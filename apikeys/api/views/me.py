"""`GET /api/auth/me/`: the first call of every integration."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import Token

from apikeys.api.serializers.me import API_KEY, SESSION, MeSerializer
from apikeys.permissions import request_key
from core.api import docs
from core.api.strict import StrictInput
from organizations.permissions import resolve_role
from organizations.selectors import memberships_of

# A person signed in through `POST /api/auth/login` (an access token): acts as a session does.
JWT = "jwt"


class MeView(StrictInput, APIView):
    """Say who the caller is and which organization to use: any valid key, whatever its scopes."""

    permission_classes = [IsAuthenticated]

    @docs.operation(
        operation_id="auth_me",
        summary="Who am I?",
        description="Verifies the credentials and tells which organization to use: with a key, "
        "the key's organization; with a session, `organization_id` is set only when the user "
        "belongs to exactly one organization. Needs no scope.",
        responses=docs.responses({200: MeSerializer}, (400, 401, 429)),
    )
    def get(self, request: Request) -> Response:
        user, key = request.user, request_key(request)
        identity: dict[str, Any] = {"user_id": user.pk, "email": user.email}
        if key is not None:
            organization = key.organization
            identity.update(
                auth_method=API_KEY,
                organization_id=organization.pk,
                organization_name=organization.name,
                api_key=key,
                organizations=[
                    {"id": organization.pk, "name": organization.name, "role": key.role}
                ],
            )
        else:
            memberships = memberships_of(user)
            organizations = [
                {
                    "id": m.organization.pk,
                    "name": m.organization.name,
                    "role": resolve_role(user, m.role),
                }
                for m in memberships
            ]
            only = organizations[0] if len(organizations) == 1 else None
            identity.update(
                auth_method=JWT if isinstance(request.auth, Token) else SESSION,
                organization_id=only["id"] if only else None,
                organization_name=only["name"] if only else None,
                api_key=None,
                organizations=organizations,
            )
        return Response(MeSerializer(identity).data)
