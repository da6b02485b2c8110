"""The role rules: the one place that decides who may read or manage an organization.

Every interface (REST API, Integrations pages, admin, management commands and the API-key
permission classes) asks these functions; none of them compares roles on its own.

- Owners and admins manage members and API keys; members only read.
- Only owners grant the owner role or change or remove an owner.
- An organization always keeps at least one owner.
- Staff users (`is_staff`) act as admins in every organization (as owners where they are).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from organizations.errors import Conflict, Forbidden
from organizations.models import Membership, Role

if TYPE_CHECKING:
    from organizations.models import Organization, User

MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})

NOT_A_MANAGER = "Only owners and admins of this organization can do this."
ONLY_OWNERS_GRANT_OWNER = "Only owners can grant or remove the owner role."
LAST_OWNER = "An organization must keep at least one owner."


def resolve_role(user: User, membership_role: str | None) -> Role | None:
    """Return the role `user` acts with, given their membership role (or None)."""
    if not user.is_active:
        return None
    if membership_role is not None:
        role = Role(membership_role)
        if user.is_staff and role == Role.MEMBER:
            return Role.ADMIN
        return role
    return Role.ADMIN if user.is_staff else None


def role_in(user: User, organization: Organization | object) -> Role | None:
    """Return the role `user` acts with in `organization` (an instance or its id)."""
    if user is None or not user.is_authenticated:
        return None
    org_id = getattr(organization, "pk", organization)
    membership_role = (
        Membership.objects.filter(user=user, organization_id=org_id)
        .order_by()
        .values_list("role", flat=True)
        .first()
    )
    return resolve_role(user, membership_role)


def organizations_filter(user: User, *, manage: bool = False, field: str = "pk") -> Q:
    """The queryset form of these rules: a filter on `field` (a path to an organization id)
    keeping the organizations `user` may read, or with `manage` may manage."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    roles = MANAGER_ROLES if manage else set(Role)
    member_of = Membership.objects.filter(user=user, role__in=roles).values("organization_id")
    return Q(**{f"{field}__in": member_of})


def is_manager_role(role: Role | str | None) -> bool:
    return role is not None and Role(role) in MANAGER_ROLES


def can_view(user: User, organization: Organization | object) -> bool:
    return role_in(user, organization) is not None


def can_manage(user: User, organization: Organization | object) -> bool:
    return is_manager_role(role_in(user, organization))


def require_manager(user: User, organization: Organization | object) -> Role:
    """Return the actor's role, or raise Forbidden unless they are an owner or admin."""
    role = role_in(user, organization)
    if not is_manager_role(role):
        raise Forbidden(NOT_A_MANAGER)
    return role


def check_membership_change(
    *, actor_role: Role | None, current: str | None, new: str | None, owner_count: int
) -> None:
    """Raise unless an actor with `actor_role` may move a member from `current` to `new`.

    `current` None means adding a member; `new` None means removing one. `owner_count` is
    the organization's number of owners before the change (read under a row lock).
    """
    if not is_manager_role(actor_role):
        raise Forbidden(NOT_A_MANAGER)
    touches_owner = Role.OWNER in (current, new)
    if touches_owner and actor_role != Role.OWNER:
        raise Forbidden(ONLY_OWNERS_GRANT_OWNER)
    if current == Role.OWNER and new != Role.OWNER and owner_count <= 1:
        raise Conflict(LAST_OWNER)
