"""`/api/organizations/{id}/invitations/`: invite people, resend, withdraw, list.

Owners and admins (keys: `members:manage`, never an invitation to be owner). No response
carries an invitation's token: the link travels only in the email to the invited address.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import docs
from core.api.pagination import Pagination
from core.api.serializers import ClosedSerializer, NoBody, UserRefSerializer, validated_body
from core.api.strict import StrictInput
from core.audit import AuditContext
from organizations import services
from organizations.api.permissions import (
    CanManageMembers,
    OrganizationAccess,
    TwoFactorSatisfied,
    organization_role,
    request_credential,
)
from organizations.api.views import visible_organization
from organizations.models import Invitation, InvitationStatus, Organization, Role
from organizations.permissions import INVITATIONS_NOT_VISIBLE, NOT_A_MANAGER, can_see_invitations
from organizations.selectors import invitation_in, invitations_of

INVITATION_NOT_FOUND = "No invitation with this id in this organization."
STATUS_INVALID = "The status must be pending, accepted, revoked or expired."


class InvitationSerializer(serializers.Serializer):
    """An invitation to join an organization (its link is only ever in the email)."""

    id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    status = serializers.ChoiceField(
        choices=InvitationStatus.choices,
        source="effective_status",
        read_only=True,
        help_text="`expired` as soon as `expires_at` passes, even before a sweep marks it.",
    )
    invited_by = UserRefSerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    sent_at = serializers.DateTimeField(read_only=True, help_text="When the last email left.")
    expires_at = serializers.DateTimeField(read_only=True)
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)


class InvitationCreateSerializer(ClosedSerializer):
    """The input of `POST /api/organizations/{id}/invitations/`."""

    email = serializers.EmailField(
        max_length=254, help_text="The address to invite; the link is emailed there."
    )
    role = serializers.ChoiceField(
        choices=Role.choices,
        default=Role.MEMBER,
        error_messages={
            "invalid_choice": services.ROLE_INVALID,
            "null": services.ROLE_INVALID,
        },
        help_text="The role they get when they accept.",
    )


class InvitationListQuery(ClosedSerializer):
    """The query of `GET /api/organizations/{id}/invitations/`."""

    status = serializers.ChoiceField(
        choices=InvitationStatus.choices,
        required=False,
        error_messages={"invalid_choice": STATUS_INVALID},
        help_text="Only invitations in this status (as `status` reports it).",
    )


@extend_schema_view(
    list=docs.operation(
        operation_id="organization_invitations_list",
        summary="List an organization's invitations",
        description="Owners and admins; keys need `members:manage`. Newest first.",
        responses=docs.responses({200: InvitationSerializer(many=True)}, docs.READ_ONE),
    ),
    create=docs.operation(
        operation_id="organization_invitations_create",
        summary="Invite someone by email",
        description="Emails a single-use link valid for `INVITATION_DAYS` (7) days; the "
        "person becomes a member only when they accept it, signed in with that address. "
        "The answer is the same whether or not the address has an account. Only owners "
        "invite owners, never through an API key (keys need `members:manage`).",
        request=InvitationCreateSerializer,
        responses=docs.responses({201: InvitationSerializer}, docs.WRITE),
    ),
    retrieve=docs.operation(
        operation_id="organization_invitations_retrieve",
        summary="Read an invitation",
        responses=docs.responses({200: InvitationSerializer}, docs.READ_ONE),
    ),
    resend=docs.operation(
        operation_id="organization_invitations_resend",
        summary="Send a pending invitation again",
        description="A new link and a new expiry; the previous link stops working.",
        request=None,
        responses=docs.responses({200: InvitationSerializer}, docs.WRITE),
    ),
    destroy=docs.operation(
        operation_id="organization_invitations_revoke",
        summary="Withdraw a pending invitation",
        description="Its link stops working at once. Only owners withdraw an invitation to be "
        "owner.",
        responses=docs.responses({204: None}, docs.WRITE),
    ),
)
class InvitationViewSet(StrictInput, viewsets.GenericViewSet):
    """An organization's invitations: owners and admins send, resend and withdraw them."""

    serializer_class = InvitationSerializer
    pagination_class = Pagination
    lookup_field = "invitation_id"
    lookup_value_converter = "uuid"
    query_serializers = {"list": InvitationListQuery}
    organization_url_kwarg = "id"  # for TwoFactorSatisfied

    def get_permissions(self) -> list[BasePermission]:
        return [IsAuthenticated(), OrganizationAccess(), CanManageMembers(), TwoFactorSatisfied()]

    def organization(self) -> Organization:
        organization = visible_organization(self.request, self.kwargs["id"])
        # Keys were checked by CanManageMembers; a session's role is checked here, since
        # reads go through no service: members do not see outsiders' addresses.
        if not can_see_invitations(organization_role(self.request, organization.pk)):
            reads = self.action in ("list", "retrieve")
            raise PermissionDenied(INVITATIONS_NOT_VISIBLE if reads else NOT_A_MANAGER)
        return organization

    def get_queryset(self) -> QuerySet[Invitation]:
        return invitations_of(self.organization(), self.validated_query.get("status"))

    def get_object(self) -> Invitation:
        invitation = invitation_in(self.organization(), self.kwargs["invitation_id"])
        if invitation is None:
            raise NotFound(INVITATION_NOT_FOUND)
        return invitation

    def list(self, request: Request, **kwargs: UUID) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(InvitationSerializer(page, many=True).data)

    def create(self, request: Request, **kwargs: UUID) -> Response:
        organization = self.organization()
        data = validated_body(request, InvitationCreateSerializer)
        invitation = services.invitation_create(
            organization=organization,
            actor=request.user,
            acting_key=request_credential(request),
            email=data["email"],
            role=data["role"],
            site_url=request.build_absolute_uri("/"),
            context=AuditContext.from_request(request),
        )
        return Response(InvitationSerializer(invitation).data, status=201)

    def retrieve(self, request: Request, **kwargs: UUID) -> Response:
        return Response(InvitationSerializer(self.get_object()).data)

    @action(detail=True, methods=["post"])
    def resend(self, request: Request, **kwargs: UUID) -> Response:
        invitation = self.get_object()
        validated_body(request, NoBody)
        invitation = services.invitation_resend(
            invitation=invitation,
            actor=request.user,
            acting_key=request_credential(request),
            site_url=request.build_absolute_uri("/"),
            context=AuditContext.from_request(request),
        )
        return Response(InvitationSerializer(invitation).data)

    def destroy(self, request: Request, **kwargs: UUID) -> Response:
        invitation = self.get_object()
        validated_body(request, NoBody)
        services.invitation_revoke(
            invitation=invitation,
            actor=request.user,
            acting_key=request_credential(request),
            context=AuditContext.from_request(request),
        )
        return Response(status=204)
