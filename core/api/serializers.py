"""Serializer pieces every API of the project shares."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

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
    the key paused. The OpenAPI schema says `additionalProperties: false` (apikeys.schema).
    """

    unknown_fields_message = "Unexpected fields: {fields}."

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        extra = sorted(set(self.initial_data) - set(self.fields))
        if extra:
            message = self.unknown_fields_message.format(fields=", ".join(extra))
            raise serializers.ValidationError(message)
        return super().validate(attrs)


class UserRefSerializer(serializers.Serializer):
    """A user as other objects refer to them."""

    id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True)
