"""Admin for users, organizations and their memberships.

Membership changes made in the organization's inline go through `organizations.services`
(`member_add`, `member_change_role`, `member_remove`), so the role rules hold here as
everywhere: only owners touch the owner role, and an organization always keeps an owner.
Organizations are created through `organization_create`, with a first owner. Neither
deleting a user nor deleting an organization may get around those rules or lose a key.
"""

from organizations.admin.memberships import MembershipInline
from organizations.admin.organizations import OrganizationAdmin
from organizations.admin.users import UserAdmin

__all__ = ["MembershipInline", "OrganizationAdmin", "UserAdmin"]
