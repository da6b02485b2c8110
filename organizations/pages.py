"""What every Integrations page shares: the organization it is about, the caller's role
there, the organization switcher, the tab bar and pagination.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from core.ids import parse_uuid
from organizations.models import Organization, Role, User
from organizations.permissions import (
    AUDIT_NOT_VISIBLE,
    NOT_A_MANAGER,
    can_read_audit,
    is_manager_role,
)
from organizations.selectors import organization_with_role, organizations_of

PAGE_SIZE = 50
CURRENT_ORGANIZATION_SESSION_KEY = "integrations:organization_id"
ORGANIZATION_NOT_FOUND = "No such organization, or you are not a member of it."


@dataclass(frozen=True, slots=True)
class OrganizationAccess:
    """The organization a page is about and the role the signed-in user acts with there."""

    organization: Organization
    role: Role

    @property
    def can_manage(self) -> bool:
        return is_manager_role(self.role)

    @property
    def can_read_audit(self) -> bool:
        return can_read_audit(self.role)


def organization_access(request: HttpRequest, organization_id: uuid.UUID) -> OrganizationAccess:
    """Return the caller's access to the organization, or 404 if they may not see it.

    A 404 rather than a 403: an outsider learns nothing, not even that the id exists.
    """
    found = organization_found(request, organization_id)
    if found is None:
        raise Http404(ORGANIZATION_NOT_FOUND)
    organization, role = found
    return OrganizationAccess(organization=organization, role=role)


def organization_found(
    request: HttpRequest, organization_id: uuid.UUID | str
) -> tuple[Organization, Role] | None:
    """The organization and the signed-in user's role there (`organization_with_role`), read
    once per request: the two-factor middleware and the page it lets through share it."""
    found = request.__dict__.setdefault(_FOUND_ON_REQUEST, {})
    key = str(organization_id)
    if key not in found:
        found[key] = organization_with_role(request.user, organization_id)
    return found[key]


_FOUND_ON_REQUEST = "_organizations_found"


def require_manager_page(access: OrganizationAccess) -> None:
    """Refuse (403) a page or action that only owners and admins may use."""
    if not access.can_manage:
        raise PermissionDenied(NOT_A_MANAGER)


def require_audit_reader(access: OrganizationAccess) -> None:
    """Refuse (403) the audit log to a role that may not read it: it holds emails and IPs."""
    if not access.can_read_audit:
        raise PermissionDenied(AUDIT_NOT_VISIBLE)


def user_organizations(user: User) -> QuerySet[Organization]:
    """The organizations `user` belongs to, by name: what the switcher lists."""
    return organizations_of(user)


def current_organization(request: HttpRequest) -> Organization | None:
    """The organization last chosen in the switcher if still visible, else the first one."""
    remembered = parse_uuid(request.session.get(CURRENT_ORGANIZATION_SESSION_KEY))
    found = None if remembered is None else organization_with_role(request.user, remembered)
    if found is not None:
        return found[0]
    return user_organizations(request.user).first()


def remember_organization(request: HttpRequest, organization: Organization) -> None:
    request.session[CURRENT_ORGANIZATION_SESSION_KEY] = str(organization.pk)


def page_context(request: HttpRequest, access: OrganizationAccess, tab: str) -> dict[str, Any]:
    """Context for the organization layout: switcher entries, tabs and the caller's rights."""
    organizations = list(user_organizations(request.user))
    if access.organization not in organizations:
        # Staff looking at an organization they do not belong to still see where they are.
        organizations.insert(0, access.organization)
    org_id = access.organization.pk
    tabs = [
        ("api-keys", "API Keys", reverse("api-keys", args=[org_id])),
        ("members", "Members", reverse("members", args=[org_id])),
    ]
    if access.can_read_audit:
        # Not offered to members: the page would refuse them (require_audit_reader).
        tabs.append(("audit-log", "Audit log", reverse("audit-log", args=[org_id])))
    return {
        "organization": access.organization,
        "organizations": organizations,
        "role": access.role,
        "can_manage": access.can_manage,
        "can_read_audit": access.can_read_audit,
        "tabs": tabs,
        "active_tab": tab,
    }


def paginate(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    """Return the requested page (`?page=`); a bad or too large number gives a valid page."""
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current query string minus `page`, for pagination links that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` field if it points back into this organization's pages, else `default`."""
    target = request.POST.get("next", "")
    prefix = default.split("?", 1)[0]
    if (
        target.startswith(prefix)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and "\\" not in target
    ):
        return target
    return default
