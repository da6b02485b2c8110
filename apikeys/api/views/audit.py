"""`GET /api/audit-events/` and `…/export/`: an organization's audit trail, for its owners
and admins, as pages of JSON or as one streamed file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apikeys import audit_export
from apikeys.api.serializers.audit import AuditEventFilterSerializer, AuditEventSerializer
from apikeys.api.views.base import organization_for, organization_id_or_own
from apikeys.permissions import CanReadAudit
from apikeys.selectors import audit_events_for, audit_events_for_export
from core.api import docs
from core.api.negotiation import JSONContentNegotiation
from core.api.pagination import Pagination
from core.api.strict import StrictInput
from organizations.api.permissions import OrganizationAccess
from organizations.models import Organization
from organizations.permissions import AUDIT_NOT_VISIBLE, can_read_audit

FORMAT_IS_NOT_THE_FILE_FORMAT = (
    "The export's file format is file_format (csv or ndjson); "
    "format names the format of the API's answers, JSON only."
)


def _readable_organization(request: Request, params: dict[str, Any]) -> Organization:
    """Return the organization whose trail the caller names, if they may read it (else 403)."""
    organization_id = organization_id_or_own(request, params.get("organization_id"))
    organization, role = organization_for(request, organization_id)
    if not can_read_audit(role):
        # The trail holds actors' emails and IPs: members may not read it (nor the pages).
        raise PermissionDenied(AUDIT_NOT_VISIBLE)
    return organization


class AuditEventListView(StrictInput, GenericAPIView):
    """List an organization's audit events, newest first. Read-only: the trail is append-only."""

    permission_classes = [IsAuthenticated, OrganizationAccess, CanReadAudit]
    serializer_class = AuditEventSerializer
    pagination_class = Pagination
    query_serializers = {"get": AuditEventFilterSerializer}

    @docs.operation(
        operation_id="audit_events_list",
        summary="List audit events",
        description="Owners and admins (keys need `audit:read`). With a session, "
        "`organization_id` is required; with a key it defaults to the key's own organization.",
        responses=docs.responses({200: AuditEventSerializer(many=True)}, docs.READ),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_query
        organization = _readable_organization(request, params)
        events = audit_events_for(
            organization.pk,
            api_key_id=params.get("api_key"),
            action=params.get("action"),
            since=params.get("since"),
            until=params.get("until"),
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)


class AuditEventExportFilterSerializer(AuditEventFilterSerializer):
    """The query parameters of `GET /api/audit-events/export/`: the list's filters and the
    file's format."""

    file_format = serializers.ChoiceField(
        choices=[
            (audit_export.CSV, "CSV: a header row, then one event per row"),
            (audit_export.NDJSON, "JSON lines: one event per line, as the list returns it"),
        ],
        help_text="The file's format (required: it is never guessed).",
    )


class ExportContentNegotiation(JSONContentNegotiation):
    """Choose the renderer of errors only: JSON, whatever `Accept` says.

    The file's own type comes from `file_format`, so `Accept: text/csv` is no 406; a
    `?format=` other than `json` is a 400 naming `file_format`, never a silent CSV.
    """

    def filter_renderers(
        self, renderers: Sequence[BaseRenderer], format: str
    ) -> list[BaseRenderer]:
        if format != "json":
            raise ValidationError({"format": [FORMAT_IS_NOT_THE_FILE_FORMAT]})
        return super().filter_renderers(renderers, format)

    def select_renderer(
        self, request: Request, renderers: Sequence[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        chosen = self.filter_renderers(renderers, format) if format else list(renderers)
        return chosen[0], chosen[0].media_type


_FILE = OpenApiTypes.BINARY
_FILE_DESCRIPTION = "The events, as the `file_format` asked: CSV or JSON lines."
_EXPORT_HEADERS = [
    OpenApiParameter(
        name="Content-Disposition",
        type=OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        required=True,
        description='`attachment; filename="audit-<organization slug>-<date>.<csv|ndjson>"`',
    ),
    OpenApiParameter(
        name="Cache-Control",
        type=OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        required=True,
        description="`no-store`: the trail holds emails and IP addresses.",
    ),
]


class AuditEventExportView(StrictInput, GenericAPIView):
    """Stream an organization's audit events, filtered as the list, as one CSV or NDJSON file."""

    permission_classes = [IsAuthenticated, OrganizationAccess, CanReadAudit]
    content_negotiation_class = ExportContentNegotiation
    pagination_class = None  # the whole trail, streamed: no `limit` or `offset`
    query_serializers = {"get": AuditEventExportFilterSerializer}

    @docs.operation(
        operation_id="audit_events_export",
        summary="Export audit events",
        description="The events `GET /api/audit-events/` lists with the same filters, newest "
        "first, all of them, streamed as one file: `file_format=csv` (columns `"
        + "`, `".join(audit_export.CSV_COLUMNS)
        + "`; a cell a spreadsheet would run as a formula starts with `'`) or "
        "`file_format=ndjson` (one JSON event per line, as the list returns it). Errors "
        "come before the first byte, as JSON. Owners and admins (keys need `audit:read`).",
        parameters=_EXPORT_HEADERS,
        responses=docs.responses(
            {
                (200, media_type): OpenApiResponse(_FILE, description=_FILE_DESCRIPTION)
                for media_type in audit_export.MEDIA_TYPES.values()
            },
            docs.READ,
        ),
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        params = self.validated_query
        organization = _readable_organization(request, params)
        events = audit_events_for_export(
            organization.pk,
            api_key_id=params.get("api_key"),
            action=params.get("action"),
            since=params.get("since"),
            until=params.get("until"),
        )
        return audit_export.export_response(
            request._request, events, organization=organization, file_format=params["file_format"]
        )
