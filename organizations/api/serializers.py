"""Organizations and their members."""

from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import ClosedSerializer
from organizations import services
from organizations.models import Role, TwoFactorRule

ONLY_ROLE_CHANGES = "Only the role can be changed here. Unexpected fields: {fields}."


class OrganizationSerializer(serializers.Serializer):
    """An organization, with the role the caller acts with in it."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    role = serializers.ChoiceField(
        choices=Role.choices,
        read_only=True,
        help_text="The caller's role here (a key acts with its creator's role).",
    )
    two_factor_rule = serializers.ChoiceField(
        choices=TwoFactorRule.choices,
        read_only=True,
        help_text="Who must use two-factor here: `off`, `managers` (owners and admins) or "
        "`everyone`. Owners change it on the Members page.",
    )


class MemberSerializer(serializers.Serializer):
    """A user's membership of an organization."""

    user_id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)


def _role_field(**kwargs: object) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=Role.choices,
        error_messages={
            "invalid_choice": services.ROLE_INVALID,
            "required": services.ROLE_INVALID,
            "null": services.ROLE_INVALID,
        },
        **kwargs,
    )


class MemberRemoveSerializer(ClosedSerializer):
    """The input of `DELETE /api/organizations/{id}/members/{user_id}/` (query or body)."""

    transfer_to = serializers.UUIDField(
        required=False,
        help_text="A remaining member's user id: the removed member's API keys are transferred "
        "to them (and act as them) instead of being revoked.",
    )


class MemberUpdateSerializer(ClosedSerializer):
    """The input of `PATCH /api/organizations/{id}/members/{user_id}/`: only the role changes."""

    unknown_fields_message = ONLY_ROLE_CHANGES

    role = _role_field(required=False)
