"""DRF permission classes for organization endpoints, whatever credential the caller holds.

A request authenticates with a session (a person, with their role) or with a scoped
credential bound to one organization (an API key: `apikeys` plugs in through
`request.auth`, which this module reads only through the `KeyLike` shape, since
`organizations` never imports `apikeys`). The role rules stay in
`organizations.permissions`; these classes only apply them to a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from core.api import aliases
from core.ids import parse_uuid
from organizations.permissions import (
    MEMBERS_MANAGE_SCOPE,
    MISSING_SCOPE,
    NOT_A_MANAGER,
    TWO_FACTOR_REQUIRED,
    WRONG_ORGANIZATION,
    KeyLike,
    effective_scopes,
    is_manager_role,
    lacks_required_two_factor,
    role_in,
)

if TYPE_CHECKING:
    from rest_framework.views import APIView

NOT_ORGANIZATION_MEMBER = "You do not have access to this organization"
READ_SCOPE = "organization:read"
# `api_keys:manage` implies reading the organization it manages keys for.
MANAGE_KEYS_SCOPE = "api_keys:manage"

# The one name of the organization a request acts in, in URLs, query strings and bodies.
# Other vendors' spellings (`organizationId`, `clinic_id`, ...) are never read: a view that
# refuses unknown input names them with everything else it refuses, and on any other view
# (downstream ones) the check below refuses them, so no view can act on an organization
# this check did not see.
ORGANIZATION_PARAMS = ("organization_id",)


def request_credential(request: Request) -> KeyLike | None:
    """The scoped credential (an API key) a request authenticated with; None for a person.

    A person is a session or an access token from `POST /api/auth/login` (`request.auth` is
    then the token, which has no scopes): the same person with the same role, so the same
    rules, only without a cookie and so without CSRF.
    """
    auth = getattr(request, "auth", None)
    return auth if hasattr(auth, "scopes") and hasattr(auth, "organization_id") else None


def credential_scopes(credential: KeyLike) -> list[str]:
    """The scopes a credential holds in effect: the granted ones its user's current role
    still allows (no I/O: authentication set the role from its one lookup)."""
    return effective_scopes(credential.scopes, credential.role)


def refuse_organization_aliases(query: Mapping, data: Mapping) -> None:
    """Refuse other vendors' names for `organization_id` with a 400 naming it."""
    for given, kind in ((query, aliases.PARAMETER), (data, aliases.FIELD)):
        named = [alias for alias in aliases.aliases_of(ORGANIZATION_PARAMS[0]) if alias in given]
        if named:
            raise ValidationError(aliases.unknown_names(named, ORGANIZATION_PARAMS, kind=kind))


def requested_organization_id(request: Request, view: APIView) -> str | None:
    """The organization a request names: in the URL, the query string or the JSON body."""
    kwargs = getattr(view, "kwargs", {}) or {}
    data = request.data if isinstance(getattr(request, "data", None), dict) else {}
    if not getattr(view, "refuses_unknown_input", False):
        refuse_organization_aliases(request.query_params, data)
    for name in ORGANIZATION_PARAMS:
        if kwargs.get(name):
            return str(kwargs[name])
        if request.query_params.get(name):
            return request.query_params[name]
    for name in ORGANIZATION_PARAMS:
        if data.get(name):
            return str(data[name])
    return None


def organization_role(request: Request, organization_id: object) -> object:
    """The role the caller acts with in `organization_id`, or None.

    A key acts with its creator's role, and only in its own organization.
    """
    credential = request_credential(request)
    if credential is not None:
        if str(credential.organization_id) != str(organization_id):
            return None
        return credential.role
    return role_in(request.user, organization_id)


def no_access_message(request: Request) -> str:
    """The 403 message for an organization outside the caller's reach."""
    if request_credential(request) is not None:
        return WRONG_ORGANIZATION
    return NOT_ORGANIZATION_MEMBER


def within_credential_organization(
    request: Request, queryset: QuerySet, field: str = "organization_id"
) -> QuerySet:
    """Narrow `queryset` to the calling key's own organization (sessions: unchanged)."""
    credential = request_credential(request)
    if credential is None:
        return queryset
    return queryset.filter(**{field: credential.organization_id})


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
        if organization_role(request, organization_id) is None:
            return False
        return two_factor_satisfied(self, request, organization_id)


def two_factor_satisfied(
    permission: BasePermission, request: Request, organization: object
) -> bool:
    """Tell whether the organization's two-factor rule lets this caller in (setting the 403
    message when not). A person (session or access token) whose role there the rule binds
    must have an authenticator app; an API key is bound by its scopes instead."""
    if request_credential(request) is None and lacks_required_two_factor(
        request.user, organization
    ):
        permission.message = TWO_FACTOR_REQUIRED
        return False
    return True


class TwoFactorSatisfied(BasePermission):
    """The two-factor rule of the organization a view's URL names under another name than
    `organization_id` (set `organization_url_kwarg` on the view, e.g. "id" or "pk")."""

    message = TWO_FACTOR_REQUIRED

    def has_permission(self, request: Request, view: APIView) -> bool:
        kwarg = getattr(view, "organization_url_kwarg", "organization_id")
        organization_id = parse_uuid((getattr(view, "kwargs", {}) or {}).get(kwarg))
        return organization_id is None or two_factor_satisfied(self, request, organization_id)


class OrganizationAccess(HasOrganizationAccess):
    """The downstream rule, letting a malformed organization id reach validation (a 400)."""

    allow_malformed = True


class ManagerScope(BasePermission):
    """Allow sessions, and credentials holding `scope` whose user is still an owner or admin.

    The 403 says which of the two a key lacks. The role check for sessions (owner or admin)
    happens per organization in the services, which check the key again.
    """

    scope = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        credential = request_credential(request)
        if credential is None:
            return True
        self.message = MISSING_SCOPE.format(scope=self.scope)
        if self.scope not in credential.scopes:
            return False
        if not is_manager_role(credential.role) or self.scope not in credential_scopes(credential):
            # The key holds the scope, but its creator is no longer an owner or admin.
            self.message = NOT_A_MANAGER
            return False
        return True


class CanManageMembers(ManagerScope):
    """Allow member management to sessions and to keys with `members:manage` in effect.

    Never implied by `api_keys:manage`: a key that manages keys must not manage people.
    """

    scope = MEMBERS_MANAGE_SCOPE


class ReadsOrganization(BasePermission):
    """Let sessions through, and keys with `organization:read`, `api_keys:manage` or
    `members:manage` in effect (managing implies seeing what is managed)."""

    message = MISSING_SCOPE.format(scope=READ_SCOPE)

    def has_permission(self, request: Request, view: APIView) -> bool:
        credential = request_credential(request)
        if credential is None:
            return True
        held = credential_scopes(credential)
        return any(scope in held for scope in (READ_SCOPE, MANAGE_KEYS_SCOPE, MEMBERS_MANAGE_SCOPE))
