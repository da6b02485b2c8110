"""OpenAPI: declare the three API-key headers as security schemes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.APIKeyAuthentication"
    name = ["BearerAPIKey", "XAPIKey", "ApiKeyHeader"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "kp_live_…",
                "description": "An organization API key: `Authorization: Bearer <key>`.",
            },
            {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            {"type": "apiKey", "in": "header", "name": "Api-Key"},
        ]
