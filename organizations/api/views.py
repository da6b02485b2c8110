"""`/api/organizations/`: the caller's organizations and their members."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import docs
from core.api.pagination import Pagination
from core.api.serializers import validated_body
from core.api.strict import StrictInput
from core.audit import AuditContext
from organizations import services
from organizations.api.permissions import (
    CanManageMembers,
    OrganizationAccess,
    ReadsOrganization,
    TwoFactorSatisfied,
    request_credential,
    within_credential_organization,
)
from organizations.api.serializers import (
    MemberRemoveSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    OrganizationSerializer,
)
from organizations.models import Membership, Organization, User
from organizations.selectors import members_of, organizations_visible_to, roles_in

ORGANIZATION_NOT_FOUND = "No organization with this id among yours."
MEMBER_NOT_FOUND = "That user is not a member of this organization."
TRANSFER_TO_TWICE = "Send transfer_to once: in the query string or in the body."


def organizations_visible(request: Request) -> QuerySet[Organization]:
    """Return the caller's organizations (staff: all); a key sees only its own."""
    queryset = organizations_visible_to(request.user)
    return within_credential_organization(request, queryset, field="pk")


def visible_organization(request: Request, organization_id: object) -> Organization:
    """Return one of the caller's organizations, or 404: another's is as missing as none."""
    organization = organizations_visible(request).filter(pk=organization_id).first()
    if organization is None:
        raise NotFound(ORGANIZATION_NOT_FOUND)
    return organization


def with_roles(request: Request, organizations: list[Organization]) -> list[Organization]:
    """Attach the role the caller acts with to each organization (one query at most)."""
    credential = request_credential(request)
    if credential is not None:
        for organization in organizations:
            organization.role = credential.role
        return organizations
    roles = roles_in(request.user, organizations)
    for organization in organizations:
        organization.role = roles[organization.pk]
    return organizations


@extend_schema_view(
    list=docs.operation(
        operation_id="organizations_list",
        summary="List your organizations",
        description="A key sees its own organization; keys need `organization:read` or "
        "`api_keys:manage`.",
        responses=docs.responses({200: OrganizationSerializer(many=True)}, docs.READ),
    ),
    retrieve=docs.operation(
        operation_id="organizations_retrieve",
        summary="Read an organization",
        responses=docs.responses({200: OrganizationSerializer}, docs.READ_ONE),
    ),
)
class OrganizationViewSet(StrictInput, viewsets.GenericViewSet):
    """The organizations the caller acts in, with their role in each."""

    permission_classes = [
        IsAuthenticated,
        OrganizationAccess,
        ReadsOrganization,
        TwoFactorSatisfied,
    ]
    organization_url_kwarg = "pk"  # for TwoFactorSatisfied
    serializer_class = OrganizationSerializer
    pagination_class = Pagination
    lookup_value_converter = "uuid"

    def get_queryset(self) -> QuerySet[Organization]:
        return organizations_visible(self.request)

    def list(self, request: Request) -> Response:
        page = with_roles(request, self.paginate_queryset(self.get_queryset()))
        return self.get_paginated_response(OrganizationSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: UUID) -> Response:
        organization = visible_organization(request, pk)
        return Response(OrganizationSerializer(with_roles(request, [organization])[0]).data)


@extend_schema_view(
    list=docs.operation(
        operation_id="organization_members_list",
        summary="List an organization's members",
        responses=docs.responses({200: MemberSerializer(many=True)}, docs.READ_ONE),
    ),
    retrieve=docs.operation(
        operation_id="organization_members_retrieve",
        summary="Read a member",
        responses=docs.responses({200: MemberSerializer}, docs.READ_ONE),
    ),
    partial_update=docs.operation(
        operation_id="organization_members_change_role",
        summary="Change a member's role",
        description="Only owners touch the owner role, never through an API key; an "
        "organization keeps one owner.",
        request=MemberUpdateSerializer,
        responses=docs.responses({200: MemberSerializer}, docs.WRITE),
    ),
    destroy=docs.operation(
        operation_id="organization_members_remove",
        summary="Remove a member",
        description="The member's API keys are revoked in the same step, unless "
        "`transfer_to` (a query parameter, or a JSON body) names a remaining member who takes "
        "them over. Keys need `members:manage`; no key removes an owner.",
        responses=docs.responses({204: None}, docs.WRITE),
    ),
)
class MemberViewSet(StrictInput, viewsets.GenericViewSet):
    """An organization's members: everyone reads, owners and admins change them.

    People join through invitations (`organizations.api.invitations`), never by being added
    here: no one becomes a member without accepting.
    """

    serializer_class = MemberSerializer
    pagination_class = Pagination
    lookup_field = "user_id"
    lookup_value_converter = "uuid"
    query_serializers = {"destroy": MemberRemoveSerializer}
    organization_url_kwarg = "id"  # for TwoFactorSatisfied

    def get_permissions(self) -> list[BasePermission]:
        reads = self.action in ("list", "retrieve")
        third = ReadsOrganization() if reads else CanManageMembers()
        return [IsAuthenticated(), OrganizationAccess(), third, TwoFactorSatisfied()]

    def organization(self) -> Organization:
        return visible_organization(self.request, self.kwargs["id"])

    def get_queryset(self) -> QuerySet[Membership]:
        return members_of(self.organization())

    def get_object(self) -> Membership:
        membership = self.get_queryset().filter(user_id=self.kwargs["user_id"]).first()
        if membership is None:
            raise NotFound(MEMBER_NOT_FOUND)
        return membership

    def list(self, request: Request, **kwargs: UUID) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    def retrieve(self, request: Request, **kwargs: UUID) -> Response:
        return Response(MemberSerializer(self.get_object()).data)

    def partial_update(self, request: Request, **kwargs: UUID) -> Response:
        membership = self.get_object()
        data = validated_body(request, MemberUpdateSerializer, partial=True)
        if "role" not in data:
            return Response(MemberSerializer(membership).data)
        membership = services.member_change_role(
            organization=membership.organization,
            actor=request.user,
            user=membership.user,
            role=data["role"],
            context=AuditContext.from_request(request),
            acting_key=request_credential(request),
        )
        return Response(MemberSerializer(membership).data)

    def destroy(self, request: Request, **kwargs: UUID) -> Response:
        membership = self.get_object()
        body = validated_body(request, MemberRemoveSerializer)
        if body and self.validated_query:
            # Two answers to one question: neither is silently preferred.
            raise ValidationError({"transfer_to": [TRANSFER_TO_TWICE]})
        given = body or self.validated_query
        transfer_to = None
        if "transfer_to" in given:
            transfer_to = User.objects.filter(pk=given["transfer_to"]).first()
            if transfer_to is None:
                raise ValidationError({"transfer_to": [services.TRANSFER_TO_INVALID]})
        services.member_remove(
            organization=membership.organization,
            actor=request.user,
            acting_key=request_credential(request),
            user=membership.user,
            transfer_to=transfer_to,
            context=AuditContext.from_request(request),
        )
        return Response(status=204)
