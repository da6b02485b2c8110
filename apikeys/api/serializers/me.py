"""`GET /api/auth/me/`: who the caller is and which organization to use."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apikeys.models import APIKey, Mode
from apikeys.permissions import key_scopes
from organizations.models import Role

API_KEY = "api_key"
SESSION = "session"


class MeAPIKeySerializer(serializers.Serializer):
    """The key a request authenticated with."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(read_only=True)
    mode = serializers.ChoiceField(choices=Mode.choices, read_only=True)
    scopes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The scopes the key was granted.",
    )
    effective_scopes = serializers.SerializerMethodField(
        help_text="The granted scopes the key holds now: those its creator's current role "
        "still allows (a demoted admin's key loses the admin-only ones).",
    )
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_effective_scopes(self, key: APIKey) -> list[str]:
        return key_scopes(key)


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
