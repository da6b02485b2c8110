"""Organization and membership changes: the only code that writes memberships.

Each service checks the role rules in `organizations.permissions`, locks the organization
row (so two owners cannot demote each other at once and leave none) and appends an audit
event in the same transaction.
"""

from __future__ import annotations

from django.db import transaction

from apikeys.audit import SYSTEM, AuditContext, record
from apikeys.models import AuditAction
from organizations.errors import Conflict, InvalidInput, NotFound
from organizations.models import Membership, Organization, Role, User
from organizations.permissions import check_membership_change, role_in

ORG_NAME_REQUIRED = "Give the organization a name."
USER_NOT_FOUND = "No user has that email address; they must sign up first."
ALREADY_MEMBER = "That user is already a member of this organization."
NOT_A_MEMBER = "That user is not a member of this organization."
ROLE_INVALID = "The role must be owner, admin or member."


def _validate_role(role: str) -> Role:
    if role not in Role.values:
        raise InvalidInput(ROLE_INVALID, field="role")
    return Role(role)


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER).count()


def _locked(organization: Organization) -> Organization:
    return Organization.objects.select_for_update().get(pk=organization.pk)


@transaction.atomic
def organization_create(*, name: str, owner: User, context: AuditContext = SYSTEM) -> Organization:
    """Create an organization with `owner` as its first owner."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(ORG_NAME_REQUIRED, field="name")
    organization = Organization.objects.create(name=name, slug=Organization.unique_slug(name))
    Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    record(
        AuditAction.ORGANIZATION_CREATED,
        actor=owner,
        organization=organization,
        context=context,
        details={"name": name},
    )
    return organization


@transaction.atomic
def member_add(
    *,
    organization: Organization,
    actor: User,
    email: str,
    role: str,
    context: AuditContext = SYSTEM,
) -> Membership:
    """Add an existing user to the organization with `role`."""
    role = _validate_role(role)
    organization = _locked(organization)
    check_membership_change(
        actor_role=role_in(actor, organization),
        current=None,
        new=role,
        owner_count=_owner_count(organization),
    )
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise InvalidInput(USER_NOT_FOUND, field="email")
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise Conflict(ALREADY_MEMBER, field="email")
    membership = Membership.objects.create(organization=organization, user=user, role=role)
    record(
        AuditAction.MEMBER_ADDED,
        actor=actor,
        organization=organization,
        context=context,
        details={"user": user.email, "role": role},
    )
    return membership


def _membership(organization: Organization, user: User) -> Membership:
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None:
        raise NotFound(NOT_A_MEMBER)
    return membership


@transaction.atomic
def member_change_role(
    *,
    organization: Organization,
    actor: User,
    user: User,
    role: str,
    context: AuditContext = SYSTEM,
) -> Membership:
    """Change a member's role under the role rules (only owners touch the owner role)."""
    role = _validate_role(role)
    organization = _locked(organization)
    membership = _membership(organization, user)
    check_membership_change(
        actor_role=role_in(actor, organization),
        current=membership.role,
        new=role,
        owner_count=_owner_count(organization),
    )
    if membership.role == role:
        return membership
    old_role, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    record(
        AuditAction.MEMBER_ROLE_CHANGED,
        actor=actor,
        organization=organization,
        context=context,
        details={"user": user.email, "from": old_role, "to": role},
    )
    return membership


@transaction.atomic
def member_remove(
    *, organization: Organization, actor: User, user: User, context: AuditContext = SYSTEM
) -> None:
    """Remove a member; their API keys stop authenticating on the next request."""
    organization = _locked(organization)
    membership = _membership(organization, user)
    check_membership_change(
        actor_role=role_in(actor, organization),
        current=membership.role,
        new=None,
        owner_count=_owner_count(organization),
    )
    membership.delete()
    record(
        AuditAction.MEMBER_REMOVED,
        actor=actor,
        organization=organization,
        context=context,
        details={"user": user.email, "role": membership.role},
    )
