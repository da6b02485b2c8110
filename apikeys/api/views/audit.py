"""`GET /api/audit-events/`: an organization's audit trail, for its owners and admins."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apikeys.api.serializers.audit import AuditEventFilterSerializer, AuditEventSerializer
from apikeys.api.views.base import organization_for, organization_id_or_own, query_params
from apikeys.permissions import CanReadAudit
from apikeys.selectors import audit_events_for
from core.api import docs
from core.api.pagination import Pagination
from organizations.api.permissions import OrganizationAccess
from organizations.permissions import AUDIT_NOT_VISIBLE, can_read_audit


class AuditEventListView(GenericAPIView):
    """List an organization's audit events, newest first. Read-only: the trail is append-only."""

    permission_classes = [IsAuthenticated, OrganizationAccess, CanReadAudit]
    serializer_class = AuditEventSerializer
    pagination_class = Pagination

    @docs.operation(
        operation_id="audit_events_list",
        summary="List audit events",
        description="Owners and admins (keys need `audit:read`). With a session, "
        "`organization_id` is required; with a key it defaults to the key's own organization.",
        parameters=[AuditEventFilterSerializer],
        responses=docs.responses({200: AuditEventSerializer(many=True)}, docs.READ),
    )
    def get(self, request: Request) -> Response:
        params = query_params(request, AuditEventFilterSerializer)
        organization_id = organization_id_or_own(request, params.get("organization_id"))
        organization, role = organization_for(request, organization_id)
        if not can_read_audit(role):
            # The trail holds actors' emails and IPs: members may not read it (nor the pages).
            raise PermissionDenied(AUDIT_NOT_VISIBLE)
        events = audit_events_for(
            organization.pk,
            api_key_id=params.get("api_key"),
            action=params.get("action"),
            since=params.get("since"),
            until=params.get("until"),
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)
