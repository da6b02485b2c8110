"""Creating an organization, and its two-factor rule."""

from __future__ import annotations

from django.db import transaction

from core.audit import SYSTEM, AuditContext, record
from core.errors import Forbidden, InvalidInput
from core.models import AuditAction
from organizations.models import Membership, Organization, Role, TwoFactorRule, User
from organizations.names import clean_display_name
from organizations.permissions import (
    ONLY_OWNERS_SET_TWO_FACTOR,
    can_set_two_factor_rule,
    role_in,
)
from organizations.services._common import locked

ORG_NAME_MAX_LENGTH = Organization._meta.get_field("name").max_length
ORG_NAME_REQUIRED = "Give the organization a name."
ORG_NAME_TOO_LONG = f"The organization name can be at most {ORG_NAME_MAX_LENGTH} characters."
TWO_FACTOR_RULE_INVALID = "The two-factor rule must be off, managers or everyone."


@transaction.atomic
def organization_create(*, name: str, owner: User, context: AuditContext = SYSTEM) -> Organization:
    """Create an organization with `owner` as its first owner."""
    # Members pick keys and organizations by name: one that hides text could pass for another.
    name = clean_display_name(
        name,
        field="name",
        max_length=ORG_NAME_MAX_LENGTH,
        required_message=ORG_NAME_REQUIRED,
        too_long_message=ORG_NAME_TOO_LONG,
    )
    organization = Organization.objects.create(name=name, slug=Organization.unique_slug(name))
    Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    record(
        AuditAction.ORGANIZATION_CREATED,
        actor=owner,
        acting_key=None,
        organization=organization,
        context=context,
        details={"name": name},
    )
    return organization


@transaction.atomic
def organization_set_two_factor_rule(
    *,
    actor: User,
    organization: Organization,
    rule: str,
    context: AuditContext = SYSTEM,
) -> Organization:
    """Set who must use two-factor here: only an owner, signed in (no API key acts here).

    Loosening the rule is how an attacker holding an admin's session would make the owners'
    accounts easier to take over, so admins (and staff acting as admins) are refused.
    """
    if rule not in TwoFactorRule.values:
        raise InvalidInput(TWO_FACTOR_RULE_INVALID, field="two_factor_rule")
    organization = locked(organization)
    if not can_set_two_factor_rule(role_in(actor, organization)):
        raise Forbidden(ONLY_OWNERS_SET_TWO_FACTOR)
    old = organization.two_factor_rule
    if old == rule:
        return organization
    organization.two_factor_rule = rule
    organization.save(update_fields=["two_factor_rule"])
    record(
        AuditAction.ORGANIZATION_TWO_FACTOR_CHANGED,
        actor=actor,
        acting_key=None,
        organization=organization,
        context=context,
        details={"from": old, "to": rule},
    )
    return organization
