"""The API's permission classes: thin layers over `apikeys.permissions`.

The role rules stay in `organizations.permissions`; these classes only pick the right
message and make sure a malformed organization id reaches validation (a 400) rather than
being mistaken for a foreign organization (a 403).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apikeys.permissions import (
    MANAGE_SCOPE,
    MISSING_SCOPE,
    NOT_ORGANIZATION_MEMBER,
    WRONG_ORGANIZATION,
    CanManageAPIKeys,
    organization_role,
    request_key,
    requested_organization_id,
)
from organizations.permissions import NOT_A_MANAGER, is_manager_role

if TYPE_CHECKING:
    from rest_framework.views import APIView

READ_SCOPE = "organization:read"


def parse_uuid(value: object) -> uuid.UUID | None:
    """Return `value` as a UUID, or None when it is not one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def no_access_message(request: Request) -> str:
    """Return the 403 message for an organization the caller does not belong to."""
    return WRONG_ORGANIZATION if request_key(request) is not None else NOT_ORGANIZATION_MEMBER


class OrganizationAccess(BasePermission):
    """Refuse a request that names (in its query or body) an organization outside its reach.

    A key reaches only its own organization ("This API key does not have access to this
    organization"); a session reaches the organizations its user belongs to. An id that is
    not a UUID passes here so that the view's validation answers it with a 400.
    """

    message = NOT_ORGANIZATION_MEMBER

    def has_permission(self, request: Request, view: APIView) -> bool:
        organization_id = parse_uuid(requested_organization_id(request, view))
        if organization_id is None:
            return True
        self.message = no_access_message(request)
        return organization_role(request, organization_id) is not None


class ManagesAPIKeys(CanManageAPIKeys):
    """Let sessions through, and keys that hold `api_keys:manage` for an owner or admin."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request_key(request)
        if key is not None and MANAGE_SCOPE in key.scopes and not is_manager_role(key.role):
            # The key holds the scope, but its creator is no longer an owner or admin.
            self.message = NOT_A_MANAGER
            return False
        self.message = MISSING_SCOPE.format(scope=MANAGE_SCOPE)
        return super().has_permission(request, view)


class ReadsOrganization(BasePermission):
    """Let sessions through, and keys that hold `organization:read` or `api_keys:manage`."""

    message = MISSING_SCOPE.format(scope=READ_SCOPE)

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request_key(request)
        return key is None or READ_SCOPE in key.scopes or MANAGE_SCOPE in key.scopes
