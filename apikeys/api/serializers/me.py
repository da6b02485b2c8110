"""`GET /api/auth/me/`: who the caller is and which organization to use."""

from __future__ import annotations

from rest_framework import serializers

from apikeys.models import Mode
from organizations.models import Role

API_KEY = "api_key"
SESSION = "session"


class MeAPIKeySerializer(serializers.Serializer):
    """The key a request authenticated with."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(read_only=True)
    mode = serializers.ChoiceField(choices=Mode.choices, read_only=True)
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)


class MeOrganizationSerializer(serializers.Serializer):
    """An organization the caller acts in, and the role they act with."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)


class MeSerializer(serializers.Serializer):
    """The caller's identity."""

    user_id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True)
    auth_method = serializers.ChoiceField(choices=[API_KEY, SESSION], read_only=True)
    organization_id = serializers.UUIDField(
        read_only=True,
        allow_null=True,
        help_text="The organization to use in other calls: the key's, or a session user's "
        "only organization (null when they have several or none).",
    )
    organization_name = serializers.CharField(read_only=True, allow_null=True)
    api_key = MeAPIKeySerializer(
        read_only=True, allow_null=True, help_text="The key used; null for a session."
    )
    organizations = MeOrganizationSerializer(many=True, read_only=True)
