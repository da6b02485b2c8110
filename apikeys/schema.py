"""OpenAPI extensions: the API-key headers as security schemes, and the scope registry.

A request carries its key in any one of the configured headers (`APIKEYS_HEADERS`), so each
header is its own security scheme and an operation accepts any one of them (or a session):
the security requirements are alternatives, never a set of headers required together.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)

from apikeys import conf

# Stable scheme names for the default headers, so clients' generated code keeps its names.
_SCHEME_NAMES = {"authorization": "BearerAPIKey", "x-api-key": "XAPIKey", "api-key": "ApiKeyHeader"}


def _scheme_name(header: str) -> str:
    known = _SCHEME_NAMES.get(header.lower())
    return known or re.sub(r"[^A-Za-z0-9]", "", header.title()) + "Header"


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Declare one security scheme per configured key header."""

    target_class = "apikeys.authentication.APIKeyAuthentication"

    @property
    def name(self) -> list[str]:  # type: ignore[override]
        return [_scheme_name(header) for header in conf.header_names()]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        definitions = []
        for header in conf.header_names():
            if header.lower() == "authorization":
                definitions.append(
                    {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": f"{conf.brand()}_live_…",
                        "description": "An organization API key: `Authorization: Bearer <key>`.",
                    }
                )
            else:
                definitions.append(
                    {
                        "type": "apiKey",
                        "in": "header",
                        "name": header,
                        "description": f"An organization API key: `{header}: <key>`.",
                    }
                )
        return definitions


class ScopesFieldExtension(OpenApiSerializerFieldExtension):
    """Document the scopes a request may name: the registry in `APIKEYS_SCOPES`."""

    target_class = "apikeys.api.serializers.common.ScopesField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        registry = conf.scope_registry()
        listing = "\n".join(f"* `{name}`: {conf.scope_help(name)}" for name in sorted(registry))
        defaults = ", ".join(f"`{name}`" for name in settings.APIKEYS_DEFAULT_SCOPES)
        return {
            "type": "array",
            "items": {"type": "string", "enum": sorted(registry)},
            "maxItems": 50,
            "description": f"Scope names (omitted: {defaults}). A key acts with its creator's "
            "current role: it holds a scope in effect only while that role may. A key cannot "
            f"create a key broader than itself.\n\n{listing}",
        }


class ClosedSerializerExtension(OpenApiSerializerExtension):
    """Say that inputs which refuse unknown fields do: `additionalProperties: false`."""

    target_class = "core.api.serializers.ClosedSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
