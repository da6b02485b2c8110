"""The key object, and the input of each key operation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from apikeys import validation
from apikeys.api.serializers.common import ScopesField
from apikeys.models import EffectiveStatus, Mode
from core.api.serializers import ClosedSerializer, StrictCharField, UserRefSerializer

ONLY_NAME_CHANGES = (
    "Only the name can be changed here: use the pause, resume, set-default, remove-default "
    "and rotate actions, or DELETE to revoke. Unexpected fields: {fields}."
)


def name_field(**kwargs: Any) -> StrictCharField:
    """Return a key-name field that accepts what the lifecycle does, with its messages."""
    # The pattern refuses control codes early (and documents them in the schema); the
    # service's validate_name refuses every other invisible character with the same message.
    visible = RegexValidator(r"^[^\x00-\x1f\x7f]*$", message=validation.NAME_INVISIBLE_CHARACTERS)
    return StrictCharField(
        max_length=validation.NAME_MAX_LENGTH,
        validators=[visible],
        error_messages={
            "required": validation.NAME_REQUIRED,
            "blank": validation.NAME_REQUIRED,
            "null": validation.NAME_REQUIRED,
            "max_length": validation.NAME_TOO_LONG,
        },
        help_text="A name that says where the key is used, e.g. `Production Integration`.",
        **kwargs,
    )


class APIKeySerializer(serializers.Serializer):
    """An API key as every response shows it: never its plaintext."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(
        read_only=True, help_text="The key's public beginning, e.g. `kp_live_a1b2c3d4`."
    )
    mode = serializers.ChoiceField(choices=Mode.choices, read_only=True)
    status = serializers.ChoiceField(
        choices=EffectiveStatus.choices,
        source="effective_status",
        read_only=True,
        help_text="`expired` is computed from `expires_at`.",
    )
    is_default = serializers.BooleanField(
        source="is_effective_default",
        read_only=True,
        help_text="The organization's default key (only an active key is the default).",
    )
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)
    organization_id = serializers.UUIDField(read_only=True)
    created_by = UserRefSerializer(
        read_only=True, help_text="The user the key acts as, with that user's role."
    )
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_used_ip = serializers.IPAddressField(
        read_only=True,
        allow_null=True,
        help_text="The client address the key was last used from (recorded with "
        "`last_used_at`, at most once a minute).",
    )
    last_used_user_agent = serializers.CharField(
        read_only=True, help_text="The user agent it was last used with (first 200 characters)."
    )
    paused_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    rotated_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the key was replaced by a rotation (it may work until `expires_at`).",
    )
    rotated_from = serializers.UUIDField(
        source="rotated_from_id",
        read_only=True,
        allow_null=True,
        help_text="The id of the key this one replaced.",
    )


class APIKeyWithSecretSerializer(APIKeySerializer):
    """A new key with its plaintext: the one response that ever contains it."""

    key = serializers.CharField(
        read_only=True,
        help_text="The plaintext key. Shown only in this response: store it now.",
    )


class APIKeyCreateSerializer(ClosedSerializer):
    """The input of `POST /api/api-keys/` (and `/api/users/me/api-keys/`)."""

    name = name_field()
    organization_id = serializers.UUIDField(
        required=False,
        help_text="The organization the key belongs to. Defaults to the calling key's own.",
    )
    mode = serializers.ChoiceField(
        choices=Mode.choices,
        default=Mode.LIVE,
        error_messages={"invalid_choice": validation.MODE_INVALID},
    )
    scopes = ScopesField(required=False)
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="ISO 8601, in the future; null or omitted: the key never expires.",
    )


class APIKeyUpdateSerializer(ClosedSerializer):
    """The input of `PATCH /api/api-keys/{id}/`: only the name changes."""

    unknown_fields_message = ONLY_NAME_CHANGES

    name = name_field(required=False)


class APIKeyRotateSerializer(ClosedSerializer):
    """The input of `POST /api/api-keys/{id}/rotate/`."""

    grace_period_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=settings.APIKEYS_MAX_GRACE_SECONDS,
        error_messages={
            key: validation.GRACE_INVALID.format(max=settings.APIKEYS_MAX_GRACE_SECONDS)
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
        help_text="How long the old key keeps working. 0 or omitted: it is revoked at once.",
    )


class APIKeyFilterSerializer(serializers.Serializer):
    """The query parameters of key lists."""

    organization_id = serializers.UUIDField(required=False, help_text="Only this organization.")
    status = serializers.ChoiceField(
        choices=EffectiveStatus.choices, required=False, help_text="Only this status."
    )
    mode = serializers.ChoiceField(
        choices=Mode.choices, required=False, help_text="Only this mode."
    )
    search = serializers.CharField(
        required=False, max_length=100, help_text="Name or prefix contains this text."
    )
