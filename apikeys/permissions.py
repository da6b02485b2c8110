"""DRF permission classes for API-key requests; the role rules stay in one place.

Every class delegates the role question to `organizations.permissions`; the classes here
add only what is specific to keys: a key holds scopes. The organization checks are
`organizations.api.permissions`', re-exported here because downstream projects import
them from `apikeys.permissions` (see the README).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apikeys.models import APIKey
from organizations.api.permissions import (
    NOT_ORGANIZATION_MEMBER,
    ORGANIZATION_PARAMS,
    WRONG_ORGANIZATION,
    CanManageMembers,
    HasOrganizationAccess,
    ManagerScope,
    no_access_message,
    organization_role,
    parse_uuid,
    requested_organization_id,
)
from organizations.permissions import (
    MISSING_SCOPE,
    effective_scopes,
)

if TYPE_CHECKING:
    from rest_framework.views import APIView

MANAGE_SCOPE = "api_keys:manage"
AUDIT_READ_SCOPE = "audit:read"


def request_key(request: Request) -> APIKey | None:
    """The API key a request authenticated with, or None."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, APIKey) else None


def key_scopes(key: APIKey) -> list[str]:
    """The scopes an authenticated key holds in effect: the granted ones its creator's
    current role still allows (no I/O: the role came with the authentication lookup)."""
    return effective_scopes(key.scopes, key.role)


class HasScopes(BasePermission):
    """Require every scope in the view's `required_scopes` from API-key requests.

    A key holds a scope in effect only while its creator's current role may hold it (see
    `key_scopes`). Session requests are governed by the user's role alone. The 403 names the
    missing scope. Override `scopes_for(view)` to require others.
    """

    message = MISSING_SCOPE

    def scopes_for(self, view: APIView) -> Iterable[str]:
        return getattr(view, "required_scopes", ())

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request_key(request)
        if key is None:
            return True
        held = key_scopes(key)
        for scope in self.scopes_for(view):
            if scope not in held:
                self.message = MISSING_SCOPE.format(scope=scope)
                return False
        return True


def require_scopes(*scopes: str) -> type[BasePermission]:
    """Return a permission class requiring `scopes`, e.g. `require_scopes("records:read")`."""

    class _RequireScopes(HasScopes):
        def scopes_for(self, view: APIView) -> Iterable[str]:
            return (*scopes, *super().scopes_for(view))

    _RequireScopes.__name__ = f"RequireScopes_{'_'.join(scopes)}"
    return _RequireScopes


class CanManageAPIKeys(ManagerScope):
    """Allow key management to sessions and to keys with `api_keys:manage` in effect."""

    scope = MANAGE_SCOPE


class CanReadAudit(ManagerScope):
    """Allow the audit log to sessions and to keys with `audit:read` in effect."""

    scope = AUDIT_READ_SCOPE


__all__ = [
    "AUDIT_READ_SCOPE",
    "MANAGE_SCOPE",
    "MISSING_SCOPE",
    "NOT_ORGANIZATION_MEMBER",
    "ORGANIZATION_PARAMS",
    "WRONG_ORGANIZATION",
    "CanManageAPIKeys",
    "CanManageMembers",
    "CanReadAudit",
    "HasOrganizationAccess",
    "HasScopes",
    "key_scopes",
    "no_access_message",
    "organization_role",
    "parse_uuid",
    "request_key",
    "requested_organization_id",
    "require_scopes",
]
