"""OpenAPI: access tokens as a security scheme of their own, `jwtAuth`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AccessTokenScheme(OpenApiAuthenticationExtension):
    """Declare `Authorization: Bearer <access token>` (from `POST /api/auth/login`)."""

    target_class = "accounts.jwt.AccessTokenAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from `POST /api/auth/login` (or `/api/auth/refresh`): "
            "`Authorization: Bearer <access_token>`. It acts as the person who signed in, "
            "with their role, and expires within minutes.",
        }
