"""Reads of organizations, always scoped to what the caller may see."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from organizations.models import Membership, Organization, Role, User
from organizations.permissions import organizations_filter, resolve_role


def organization_with_role(user: User, organization_id: object) -> tuple[Organization, Role] | None:
    """Return the organization and the role `user` acts with there, in one query.

    None when the organization does not exist or `user` may not see it (not a member, not
    staff, inactive, anonymous): callers answer both the same way, so an outsider learns
    nothing about which ids exist.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    membership_role = Membership.objects.filter(user=user, organization_id=OuterRef("pk")).values(
        "role"
    )[:1]
    organization = (
        Organization.objects.filter(pk=organization_id)
        .annotate(membership_role=Subquery(membership_role))
        .first()
    )
    if organization is None:
        return None
    role = resolve_role(user, organization.membership_role)
    return None if role is None else (organization, role)


def organizations_visible_to(user: User) -> QuerySet[Organization]:
    """The organizations `user` may read (staff: every one), by name."""
    return Organization.objects.filter(organizations_filter(user)).order_by("name", "id")


def organizations_of(user: User) -> QuerySet[Organization]:
    """The organizations `user` is a member of, by name: what the switcher lists."""
    return Organization.objects.filter(memberships__user=user).order_by("name", "id")


def memberships_of(user: User) -> QuerySet[Membership]:
    """`user`'s memberships with their organizations, by organization name."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name", "organization_id")
    )


def roles_in(user: User, organizations: list[Organization]) -> dict[object, Role | None]:
    """The role `user` acts with in each of `organizations`, by id, in one query."""
    stored = dict(
        Membership.objects.filter(
            user=user, organization__in=[o.pk for o in organizations]
        ).values_list("organization_id", "role")
    )
    return {o.pk: resolve_role(user, stored.get(o.pk)) for o in organizations}


def members_of(organization: Organization | object) -> QuerySet[Membership]:
    """An organization's memberships with their users, by email."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__email")
    )


def managed_memberships(caller: User, user_id: object) -> QuerySet[Membership]:
    """`user_id`'s memberships in the organizations `caller` manages (staff: all)."""
    return Membership.objects.filter(
        organizations_filter(caller, manage=True, field="organization_id"), user_id=user_id
    )
