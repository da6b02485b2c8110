"""DRF permission classes for API-key requests; the role rules stay in one place.

Every class delegates the role question to `organizations.permissions`; the classes here
add only what is specific to keys: a key is bound to one organization, and holds scopes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apikeys.models import APIKey
from organizations.permissions import (
    MEMBERS_MANAGE_SCOPE,
    MISSING_SCOPE,
    NOT_A_MANAGER,
    effective_scopes,
    is_manager_role,
    role_in,
)

if TYPE_CHECKING:
    from rest_framework.views import APIView

WRONG_ORGANIZATION = "This API key does not have access to this organization"
NOT_ORGANIZATION_MEMBER = "You do not have access to this organization"
MANAGE_SCOPE = "api_keys:manage"
AUDIT_READ_SCOPE = "audit:read"

ORGANIZATION_PARAMS = ("organization_id", "organizationId", "clinic_id")


def request_key(request: Request) -> APIKey | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, APIKey) else None


def requested_organization_id(request: Request, view: APIView) -> str | None:
    """The organization a request names: in the URL, the query string or the JSON body."""
    kwargs = getattr(view, "kwargs", {}) or {}
    for name in ORGANIZATION_PARAMS:
        if kwargs.get(name):
            return str(kwargs[name])
        if request.query_params.get(name):
            return request.query_params[name]
    data = request.data if isinstance(getattr(request, "data", None), dict) else {}
    for name in ORGANIZATION_PARAMS:
        if data.get(name):
            return str(data[name])
    return None


def organization_role(request: Request, organization_id: object) -> object:
    """The role the caller acts with in `organization_id`, or None.

    A key acts with its creator's role, and only in its own organization.
    """
    key = request_key(request)
    if key is not None:
        if str(key.organization_id) != str(organization_id):
            return None
        return key.role
    return role_in(request.user, organization_id)


def key_scopes(key: APIKey) -> list[str]:
    """The scopes an authenticated key holds in effect: the granted ones its creator's
    current role still allows (no I/O: the role came with the authentication lookup)."""
    return effective_scopes(key.scopes, key.role)


def parse_uuid(value: object) -> uuid.UUID | None:
    """Return `value` as a UUID (any spelling Python accepts), or None when it is not one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def no_access_message(request: Request) -> str:
    """The 403 message for an organization outside the caller's reach."""
    return WRONG_ORGANIZATION if request_key(request) is not None else NOT_ORGANIZATION_MEMBER


class HasOrganizationAccess(BasePermission):
    """Allow a request only in the organization it names, if the caller belongs to it.

    A key naming another organization gets 403 "This API key does not have access to this
    organization"; a request naming none passes (the view scopes its own queries). An id
    that is not a UUID names no organization the caller has: refused, unless
    `allow_malformed` lets the view's own validation answer it with a 400.
    """

    message = WRONG_ORGANIZATION
    allow_malformed = False

    def has_permission(self, request: Request, view: APIView) -> bool:
        named = requested_organization_id(request, view)
        if named is None:
            return True
        self.message = no_access_message(request)
        organization_id = parse_uuid(named)
        if organization_id is None:
            return self.allow_malformed
        return organization_role(request, organization_id) is not None


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


class _ManagerScope(BasePermission):
    """Allow sessions, and keys holding `scope` whose creator is still an owner or admin.

    The 403 says which of the two a key lacks. The role check for sessions (owner or admin)
    happens per organization in the services, which check the key again.
    """

    scope = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request_key(request)
        if key is None:
            return True
        self.message = MISSING_SCOPE.format(scope=self.scope)
        if self.scope not in key.scopes:
            return False
        if not is_manager_role(key.role) or self.scope not in key_scopes(key):
            # The key holds the scope, but its creator is no longer an owner or admin.
            self.message = NOT_A_MANAGER
            return False
        return True


class CanManageAPIKeys(_ManagerScope):
    """Allow key management to sessions and to keys with `api_keys:manage` in effect."""

    scope = MANAGE_SCOPE


class CanManageMembers(_ManagerScope):
    """Allow member management to sessions and to keys with `members:manage` in effect.

    Never implied by `api_keys:manage`: a key that manages keys must not manage people.
    """

    scope = MEMBERS_MANAGE_SCOPE


class CanReadAudit(_ManagerScope):
    """Allow the audit log to sessions and to keys with `audit:read` in effect."""

    scope = AUDIT_READ_SCOPE
