"""What every key API view shares: organization lookups, the key-list filters, the secret answer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.views.decorators.debug import sensitive_variables
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apikeys.api.serializers.keys import APIKeySerializer
from apikeys.models import APIKey
from apikeys.permissions import no_access_message, request_key
from organizations.models import Organization, Role
from organizations.selectors import memberships_of, organization_with_role

ORGANIZATION_REQUIRED = "Required with a session (a key defaults to its own organization)."
ORGANIZATION_NOT_ONLY = (
    "Required: you belong to more than one organization, or to none "
    "(a key defaults to its own organization)."
)


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


def organization_id_or_own(request: Request, organization_id: Any, *, only: bool = False) -> Any:
    """Return the organization id named, else the calling key's own.

    A session (or an access token) must name one, unless `only` lets it default to the
    user's one organization, as `GET /api/auth/me/` reports it.
    """
    if organization_id is not None:
        return organization_id
    key = request_key(request)
    if key is not None:
        return key.organization_id
    if not only:
        raise ValidationError({"organization_id": [ORGANIZATION_REQUIRED]})
    memberships = list(memberships_of(request.user)[:2])
    if len(memberships) != 1:
        raise ValidationError({"organization_id": [ORGANIZATION_NOT_ONLY]})
    return memberships[0].organization_id


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
