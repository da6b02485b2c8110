"""Admin for users, organizations and their memberships.

Membership changes made in the organization's inline go through `organizations.services`
(`member_add`, `member_change_role`, `member_remove`), so the role rules hold here as
everywhere: only owners touch the owner role, and an organization always keeps an owner.
Organizations are created through `organization_create`, with a first owner. Deleting a
user who is some organization's last owner is refused; deleting an organization that has
keys is refused too, since the key admin never grants the permission to delete a key.
Invitations are listed read-only; revoking one goes through `invitation_revoke`.
"""

from organizations.admin.invitations import InvitationAdmin
from organizations.admin.memberships import MembershipInline
from organizations.admin.organizations import OrganizationAdmin
from organizations.admin.users import UserAdmin

__all__ = ["InvitationAdmin", "MembershipInline", "OrganizationAdmin", "UserAdmin"]
