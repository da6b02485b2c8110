"""The API's permission classes: thin layers over `apikeys.permissions`.

The role rules stay in `organizations.permissions`; these classes only pick the right
message and make sure a malformed organization id reaches validation (a 400) rather than
being mistaken for a foreign organization (a 403). Key management itself is guarded by
`apikeys.permissions.CanManageAPIKeys`, as downstream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apikeys.permissions import (
    MANAGE_SCOPE,
    HasOrganizationAccess,
    key_scopes,
    request_key,
)
from organizations.permissions import MEMBERS_MANAGE_SCOPE, MISSING_SCOPE

if TYPE_CHECKING:
    from rest_framework.views import APIView

READ_SCOPE = "organization:read"


class OrganizationAccess(HasOrganizationAccess):
    """The downstream rule, letting a malformed organization id reach validation (a 400)."""

    allow_malformed = True


class ReadsOrganization(BasePermission):
    """Let sessions through, and keys with `organization:read`, `api_keys:manage` or
    `members:manage` in effect (managing implies seeing what is managed)."""

    message = MISSING_SCOPE.format(scope=READ_SCOPE)

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request_key(request)
        if key is None:
            return True
        held = key_scopes(key)
        return any(scope in held for scope in (READ_SCOPE, MANAGE_SCOPE, MEMBERS_MANAGE_SCOPE))
