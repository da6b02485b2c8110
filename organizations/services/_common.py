"""What the organization services share: role validation, the organization lock, the role
rules' check, the operator."""

from __future__ import annotations

from typing import Final

from core.errors import InvalidInput
from organizations.models import Membership, Organization, Role, User
from organizations.permissions import (
    MEMBERS_MANAGE_SCOPE,
    check_membership_change,
    require_key_scope,
    role_in,
)

ROLE_INVALID = "The role must be owner, admin or member."


class Operator:
    """Someone running `manage.py` on the server: trusted with every role, audited as no user.

    A distinct object rather than None, so that no interface can reach operator powers by
    passing a missing user by mistake.
    """

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR: Final = Operator()

Actor = User | Operator


def audit_actor(actor: Actor | None) -> User | None:
    """The user an audit event names for `actor` (an operator, or no one, is none)."""
    return None if isinstance(actor, Operator) else actor


def validate_role(role: str) -> Role:
    if role not in Role.values:
        raise InvalidInput(ROLE_INVALID, field="role")
    return Role(role)


def owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER).count()


def locked(organization: Organization) -> Organization:
    """Lock the organization row: every membership and invitation change takes it first,
    so concurrent changes to one organization queue up and never deadlock."""
    return Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)


def locked_for_members(organization: Organization, acting_key: object | None) -> Organization:
    """Refuse an acting key without `members:manage` in effect, then lock the organization:
    how every membership and invitation change begins."""
    require_key_scope(acting_key, MEMBERS_MANAGE_SCOPE)
    return locked(organization)


def check_change(
    *,
    actor: User,
    acting_key: object | None,
    organization: Organization,
    current: str | None,
    new: str | None,
) -> None:
    """Refuse unless `actor` (through `acting_key`) may move a membership of the locked
    `organization` from `current` to `new` (None: no membership, before or after)."""
    check_membership_change(
        actor_role=role_in(actor, organization),
        current=current,
        new=new,
        owner_count=owner_count(organization),
        through_key=acting_key is not None,
    )
