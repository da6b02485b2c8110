"""Routes of the way into the Integrations pages and of the Members tab."""

from django.urls import path

from organizations.views import members, navigation

navigation_patterns = [
    path("integrations/", navigation.integrations, name="integrations"),
    path("integrations/switch/", navigation.switch_organization, name="switch-organization"),
]

# Mounted under /orgs/<id>/integrations/members/.
member_patterns = [
    path("", members.member_list, name="members"),
    path("add/", members.member_add, name="member-add"),
    path("<uuid:user_id>/role/", members.member_change_role, name="member-role"),
    path("<uuid:user_id>/remove/", members.member_remove, name="member-remove"),
]
