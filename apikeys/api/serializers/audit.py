"""Audit events: read-only, append-only."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.models import AuditAction

SINCE_AFTER_UNTIL = "Must not be earlier than since."


class AuditEventSerializer(serializers.Serializer):
    """One recorded change to a key, a member or an organization."""

    id = serializers.IntegerField(read_only=True)
    action = serializers.ChoiceField(choices=AuditAction.choices, read_only=True)
    organization_id = serializers.UUIDField(read_only=True, allow_null=True)
    actor_id = serializers.UUIDField(read_only=True, allow_null=True)
    actor_email = serializers.CharField(
        read_only=True, help_text="The acting user's email (kept if the user is deleted)."
    )
    actor_key_id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="The API key the change was made with."
    )
    api_key_id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="The key the change was made to."
    )
    key_prefix = serializers.CharField(read_only=True)
    ip = serializers.CharField(read_only=True, allow_null=True)
    request_id = serializers.CharField(
        read_only=True, help_text="The X-Request-ID of the request that made the change."
    )
    created_at = serializers.DateTimeField(read_only=True)
    details = serializers.DictField(read_only=True)


class AuditEventFilterSerializer(serializers.Serializer):
    """The query parameters of `GET /api/audit-events/`."""

    organization_id = serializers.UUIDField(
        required=False, help_text="The organization (defaults to the calling key's own)."
    )
    api_key = serializers.UUIDField(required=False, help_text="Only events about this key.")
    action = serializers.ChoiceField(
        choices=AuditAction.choices, required=False, help_text="Only this action."
    )
    since = serializers.DateTimeField(required=False, help_text="Only events at or after this.")
    until = serializers.DateTimeField(required=False, help_text="Only events before this.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and since > until:
            raise serializers.ValidationError({"until": [SINCE_AFTER_UNTIL]})
        return attrs
