"""Organizations, memberships and invitations: the only code that writes them.

Each service checks the role rules in `organizations.permissions`, locks the organization
row first (then the rows it changes) and appends its audit event in the same transaction.
A change made through an API key names it (`acting_key`): such a key needs
`members:manage` in effect and never touches the owner role. Refusals raise
`core.errors.DomainError` subclasses carrying the messages re-exported here.
"""

from organizations.services._common import OPERATOR, ROLE_INVALID, Operator
from organizations.services.acceptance import invitation_accept, invitations_expire
from organizations.services.invitations import (
    ALREADY_INVITED,
    EMAIL_INVALID,
    EMAIL_UNVERIFIED,
    INVITATION_INVALID,
    INVITER_CANNOT_GRANT,
    NOT_PENDING,
    OTHER_EMAIL,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from organizations.services.members import (
    ALREADY_MEMBER,
    NOT_A_MEMBER,
    TRANSFER_TO_INVALID,
    USER_NOT_FOUND,
    member_add,
    member_change_role,
    member_remove,
)
from organizations.services.organizations import (
    ORG_NAME_MAX_LENGTH,
    ORG_NAME_REQUIRED,
    ORG_NAME_TOO_LONG,
    TWO_FACTOR_RULE_INVALID,
    organization_create,
    organization_set_two_factor_rule,
)

__all__ = [
    "ALREADY_INVITED",
    "ALREADY_MEMBER",
    "EMAIL_INVALID",
    "EMAIL_UNVERIFIED",
    "INVITATION_INVALID",
    "INVITER_CANNOT_GRANT",
    "NOT_A_MEMBER",
    "NOT_PENDING",
    "OPERATOR",
    "ORG_NAME_MAX_LENGTH",
    "ORG_NAME_REQUIRED",
    "ORG_NAME_TOO_LONG",
    "OTHER_EMAIL",
    "ROLE_INVALID",
    "TRANSFER_TO_INVALID",
    "TWO_FACTOR_RULE_INVALID",
    "USER_NOT_FOUND",
    "Operator",
    "invitation_accept",
    "invitation_create",
    "invitation_resend",
    "invitation_revoke",
    "invitations_expire",
    "member_add",
    "member_change_role",
    "member_remove",
    "organization_create",
    "organization_set_two_factor_rule",
]
