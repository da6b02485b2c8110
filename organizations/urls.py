"""Routes of the way into the Integrations pages, the Members tab and invitation links."""

from django.urls import path

from organizations.views import invitations, members, navigation

navigation_patterns = [
    path("integrations/", navigation.integrations, name="integrations"),
    path("integrations/new/", navigation.organization_create, name="organization-create"),
    path("integrations/switch/", navigation.switch_organization, name="switch-organization"),
]

# Mounted under /orgs/<id>/integrations/members/.
member_patterns = [
    path("", members.member_list, name="members"),
    path("invite/", invitations.invitation_create, name="invitation-create"),
    path(
        "invitations/<uuid:invitation_id>/resend/",
        invitations.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "invitations/<uuid:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation-revoke",
    ),
    path("two-factor/", members.two_factor_rule, name="two-factor-rule"),
    path("<uuid:user_id>/role/", members.member_change_role, name="member-role"),
    path("<uuid:user_id>/remove/", members.member_remove, name="member-remove"),
]

# Mounted under /invitations/: the page an invitation email links to.
invitation_patterns = [
    path("<str:token>/", invitations.invitation, name="invitation"),
]
