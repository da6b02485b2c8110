"""Membership changes: the only code that writes memberships.

Each service checks the role rules in `organizations.permissions`, locks the organization
row (so two owners cannot demote each other at once and leave none) and appends an audit
event in the same transaction. A change made through an API key names it (`acting_key`):
such a key needs `members:manage` in effect and never touches the owner role.
"""

from __future__ import annotations

from django.db import transaction

from core.audit import SYSTEM, AuditContext, record
from core.errors import Conflict, InvalidInput, NotFound
from core.models import AuditAction
from organizations.models import Membership, Organization, Role, User, normalize_login_email
from organizations.services._common import (
    Actor,
    audit_actor,
    check_change,
    locked_for_members,
    validate_role,
)
from organizations.signals import member_leaving

# People join through invitations; adding an existing user directly is left to staff in the
# admin and to operators' seeds, which pick a user who exists.
USER_NOT_FOUND = "No user has that email address."
ALREADY_MEMBER = "That user is already a member of this organization."
NOT_A_MEMBER = "That user is not a member of this organization."
TRANSFER_TO_INVALID = "Keys can be transferred only to another member of this organization."


def add_membership(
    *,
    organization: Organization,
    user: User,
    role: Role,
    actor: Actor,
    acting_key: object | None,
    context: AuditContext,
) -> Membership:
    """Create `user`'s membership and audit it: the one code path that adds a member.

    The caller has locked `organization` and checked the role rules in its transaction.
    """
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise Conflict(ALREADY_MEMBER, field="email")
    membership = Membership.objects.create(organization=organization, user=user, role=role)
    record(
        AuditAction.MEMBER_ADDED,
        actor=audit_actor(actor),
        acting_key=acting_key,
        organization=organization,
        context=context,
        details={"user": user.email, "role": role},
    )
    return membership


@transaction.atomic
def member_add(
    *,
    organization: Organization,
    actor: User,
    acting_key: object | None,
    email: str,
    role: str,
    context: AuditContext = SYSTEM,
) -> Membership:
    """Add an existing user to the organization with `role`, without an invitation.

    For staff in the admin and operators' seeds: the pages and the API invite instead
    (`invitation_create`), so no one becomes a member there without accepting.
    """
    role = validate_role(role)
    organization = locked_for_members(organization, acting_key)
    check_change(
        actor=actor, acting_key=acting_key, organization=organization, current=None, new=role
    )
    user = User.objects.filter(email=normalize_login_email(email)).first()
    if user is None:
        raise InvalidInput(USER_NOT_FOUND, field="email")
    return add_membership(
        organization=organization,
        user=user,
        role=role,
        actor=actor,
        acting_key=acting_key,
        context=context,
    )


def _membership(organization: Organization, user: User) -> Membership:
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None:
        raise NotFound(NOT_A_MEMBER)
    return membership


def _locked_change(
    *,
    organization: Organization,
    actor: User,
    acting_key: object | None,
    user: User,
    new: Role | None,
) -> tuple[Organization, Membership]:
    """Lock the organization, then refuse unless the actor (and the key they act through)
    may move `user`'s membership to `new` (None: remove it). Returns both, locked."""
    organization = locked_for_members(organization, acting_key)
    membership = _membership(organization, user)
    check_change(
        actor=actor,
        acting_key=acting_key,
        organization=organization,
        current=membership.role,
        new=new,
    )
    return organization, membership


@transaction.atomic
def member_change_role(
    *,
    organization: Organization,
    actor: User,
    acting_key: object | None,
    user: User,
    role: str,
    context: AuditContext = SYSTEM,
) -> Membership:
    """Change a member's role under the role rules (only owners touch the owner role).

    The member's keys keep their granted scopes but act with the new role at once: a
    demoted admin's keys lose the scopes a member may not hold on their next request.
    """
    role = validate_role(role)
    organization, membership = _locked_change(
        organization=organization, actor=actor, acting_key=acting_key, user=user, new=role
    )
    if membership.role == role:
        return membership
    old_role, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    record(
        AuditAction.MEMBER_ROLE_CHANGED,
        actor=actor,
        acting_key=acting_key,
        organization=organization,
        context=context,
        details={"user": user.email, "from": old_role, "to": role},
    )
    return membership


@transaction.atomic
def member_remove(
    *,
    organization: Organization,
    actor: User,
    acting_key: object | None,
    user: User,
    transfer_to: User | None = None,
    context: AuditContext = SYSTEM,
) -> None:
    """Remove a member, and with them every key they made here.

    Their keys are revoked in the same transaction (each audited), unless `transfer_to`, a
    remaining member, takes them over: the keys then act as that member. Either way no key
    outlives its creator's membership, so re-adding someone never revives an old key.
    """
    organization, membership = _locked_change(
        organization=organization, actor=actor, acting_key=acting_key, user=user, new=None
    )
    if transfer_to is not None and (
        transfer_to == user
        or not Membership.objects.filter(organization=organization, user=transfer_to).exists()
    ):
        raise InvalidInput(TRANSFER_TO_INVALID, field="transfer_to")
    member_leaving.send(
        sender=Membership,
        organization=organization,
        user=user,
        actor=actor,
        acting_key=acting_key,
        transfer_to=transfer_to,
        context=context,
    )
    membership.delete()
    details = {"user": user.email, "role": membership.role}
    if transfer_to is not None:
        details["keys_transferred_to"] = transfer_to.email
    record(
        AuditAction.MEMBER_REMOVED,
        actor=actor,
        acting_key=acting_key,
        organization=organization,
        context=context,
        details=details,
    )
