"""DRF permission classes for API-key requests; the role rules stay in one place.

Every class delegates the role question to `organizations.permissions`; the classes here
add only what is specific to keys: a key is bound to one organization, and holds scopes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apikeys.models import APIKey

if TYPE_CHECKING:
    from rest_framework.views import APIView
from organizations.permissions import can_view, is_manager_role, role_in

WRONG_ORGANIZATION = "This API key does not have access to this organization"
MISSING_SCOPE = "This API key does not have the required scope: {scope}"
NOT_ORGANIZATION_MEMBER = "You do not have access to this organization"
MANAGE_SCOPE = "api_keys:manage"

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


class HasOrganizationAccess(BasePermission):
    """Allow a request only in the organization it names, if the caller belongs to it.

    A key naming another organization gets 403 "This API key does not have access to this
    organization"; a request naming none passes (the view scopes its own queries).
    """

    message = WRONG_ORGANIZATION

    def has_permission(self, request: Request, view: APIView) -> bool:
        organization_id = requested_organization_id(request, view)
        if organization_id is None:
            return True
        key = request_key(request)
        if key is not None:
            self.message = WRONG_ORGANIZATION
            return str(key.organization_id) == organization_id
        self.message = NOT_ORGANIZATION_MEMBER
        try:
            return can_view(request.user, organization_id)
        except Exception:  # a malformed id: no organization can match it
            return False


class HasScopes(BasePermission):
    """Require every scope in the view's `required_scopes` from API-key requests.

    Session requests are governed by the user's role alone. The 403 names the missing scope.
    """

    message = MISSING_SCOPE

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request_key(request)
        if key is None:
            return True
        for scope in getattr(view, "required_scopes", ()):
            if scope not in key.scopes:
                self.message = MISSING_SCOPE.format(scope=scope)
                return False
        return True


def require_scopes(*scopes: str) -> type[BasePermission]:
    """Return a permission class requiring `scopes`, e.g. `require_scopes("records:read")`."""

    class _RequireScopes(HasScopes):
        def has_permission(self, request: Request, view: APIView) -> bool:
            view_scopes: Iterable[str] = getattr(view, "required_scopes", ())
            holder = type("V", (), {"required_scopes": (*scopes, *view_scopes)})
            return super().has_permission(request, holder)

    _RequireScopes.__name__ = f"RequireScopes_{'_'.join(scopes)}"
    return _RequireScopes


class CanManageAPIKeys(BasePermission):
    """Allow key management to sessions, and to keys holding `api_keys:manage`.

    The role check itself (owner or admin) happens per organization in the services.
    """

    message = MISSING_SCOPE.format(scope=MANAGE_SCOPE)

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request_key(request)
        if key is None:
            return True
        return MANAGE_SCOPE in key.scopes and is_manager_role(key.role)
