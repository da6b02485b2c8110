"""What every API view shares: the audit context, organization lookups and list filters."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.views.decorators.debug import sensitive_variables
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apikeys.api.serializers.keys import APIKeySerializer
from apikeys.models import APIKey
from apikeys.permissions import (
    ORGANIZATION_PARAMS,
    no_access_message,
    request_key,
)
from organizations.models import Organization, Role
from organizations.selectors import organization_with_role

ORGANIZATION_REQUIRED = "Required with a session (a key defaults to its own organization)."


def query_params(request: Request, serializer_class: type[serializers.Serializer]) -> dict:
    """Validate a list's query parameters with `serializer_class` (400 on bad values).

    `organizationId` and `clinic_id` are accepted for `organization_id`, as the permission
    classes accept them: a filter the caller spelled differently is never silently dropped.
    """
    data: dict[str, Any] = {name: request.query_params.get(name) for name in request.query_params}
    for alias in ORGANIZATION_PARAMS:
        if data.get(alias) and not data.get("organization_id"):
            data["organization_id"] = data[alias]
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def organization_for(request: Request, organization_id: Any) -> tuple[Organization, Role]:
    """Return the organization the caller names and their role in it, or refuse with a 403.

    A key reaches only its own organization; a session reaches its user's organizations
    (staff: every existing one). Whether the role may do the operation is the services' call.
    """
    key = request_key(request)
    if key is not None:
        # The key's organization and role came with its authentication lookup: no query.
        if str(key.organization_id) == str(organization_id):
            return key.organization, key.role
        raise PermissionDenied(no_access_message(request))
    found = organization_with_role(request.user, organization_id)
    if found is None:
        raise PermissionDenied(no_access_message(request))
    return found


def organization_id_or_own(request: Request, organization_id: Any) -> Any:
    """Return the organization id named, else the calling key's own; a session must name one."""
    if organization_id is not None:
        return organization_id
    key = request_key(request)
    if key is None:
        raise ValidationError({"organization_id": [ORGANIZATION_REQUIRED]})
    return key.organization_id


def filter_keys(queryset: QuerySet[APIKey], params: dict[str, Any]) -> QuerySet[APIKey]:
    """Apply the key-list filters: organization, effective status, mode and a search."""
    if params.get("organization_id"):
        queryset = queryset.filter(organization_id=params["organization_id"])
    if params.get("status"):
        queryset = queryset.with_effective_status(params["status"])
    if params.get("mode"):
        queryset = queryset.filter(mode=params["mode"])
    if params.get("search"):
        queryset = queryset.search(params["search"])
    return queryset.order_by("-created_at", "-id")


@sensitive_variables()
def secret_response(key: APIKey, raw: str) -> Response:
    """Answer 201 with a new key's plaintext, and keep the answer out of every cache."""
    response = Response({**APIKeySerializer(key).data, "key": raw}, status=201)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response
