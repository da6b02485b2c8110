"""Serializer pieces every API of the project shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.settings import api_settings

from core.api import aliases

NOT_A_STRING = "Not a valid string."


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers instead of quietly turning them into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError(NOT_A_STRING, code="invalid")
        return super().to_internal_value(data)


class ClosedSerializer(serializers.Serializer):
    """An input that refuses fields it does not know rather than silently ignoring them.

    A client sending `{"status": "paused"}` to a rename would otherwise get a 200 and believe
    the key paused, and NxVET's `expiresAt` on a create would make a key that never expires.
    Each unknown field gets its own message (naming Keyportal's field where the name is
    another vendor's spelling of one, `core.api.aliases`), alongside the known fields'
    errors. `unknown_fields_message`, when set, becomes the summary (`detail`). The OpenAPI
    schema says `additionalProperties: false` (apikeys.schema).
    """

    unknown_fields_message: str | None = None

    def accepted_fields(self) -> set[str]:
        return {name for name, field in self.fields.items() if not field.read_only}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # DRF's "Expected a dictionary" 400
        accepted = self.accepted_fields()
        unknown = aliases.unknown_names(data, accepted, kind=aliases.FIELD)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                raise serializers.ValidationError(
                    {**self._summary(data, accepted), **unknown, **error.detail}
                ) from error
            raise
        if unknown:
            raise serializers.ValidationError({**self._summary(data, accepted), **unknown})
        return value

    def _summary(self, data: Mapping, accepted: set[str]) -> dict[str, list[str]]:
        if self.unknown_fields_message is None:
            return {}
        extra = ", ".join(sorted(name for name in data if name not in accepted))
        message = self.unknown_fields_message.format(fields=extra)
        return {api_settings.NON_FIELD_ERRORS_KEY: [message]}


class NoBody(ClosedSerializer):
    """The input of an action that takes none: any field sent is refused, not ignored."""


def validated_body(
    request: Request, serializer_class: type[serializers.Serializer], *, partial: bool = False
) -> dict:
    """Validate a request body with `serializer_class` (400 naming each bad or unknown field)."""
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class UserRefSerializer(serializers.Serializer):
    """A user as other objects refer to them."""

    id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True)
