"""Routes of the Integrations pages; each organization's pages live under /orgs/<id>/."""

from django.urls import include, path
from django.views.generic import RedirectView

from apikeys.views import audit, key_actions, keys, members, navigation

key_patterns = [
    path("", keys.api_key_list, name="api-keys"),
    path("new/", keys.api_key_create, name="api-key-create"),
    path("created/", keys.api_key_created, name="api-key-created"),
    path("<uuid:key_id>/rename/", key_actions.api_key_rename, name="api-key-rename"),
    path("<uuid:key_id>/rotate/", key_actions.api_key_rotate, name="api-key-rotate"),
    path("<uuid:key_id>/revoke/", key_actions.api_key_revoke, name="api-key-revoke"),
    *(
        path(
            f"<uuid:key_id>/{action}/",
            key_actions.api_key_action,
            {"action": action},
            name=f"api-key-{action}",
        )
        for action in key_actions.ACTIONS
    ),
]

member_patterns = [
    path("", members.member_list, name="members"),
    path("add/", members.member_add, name="member-add"),
    path("<uuid:user_id>/role/", members.member_change_role, name="member-role"),
    path("<uuid:user_id>/remove/", members.member_remove, name="member-remove"),
]

urlpatterns = [
    path("integrations/", navigation.integrations, name="integrations"),
    path("integrations/switch/", navigation.switch_organization, name="switch-organization"),
    path(
        "orgs/<uuid:organization_id>/integrations/",
        include(
            [
                path("", RedirectView.as_view(pattern_name="api-keys")),
                path("api-keys/", include(key_patterns)),
                path("members/", include(member_patterns)),
                path("audit-log/", audit.audit_log, name="audit-log"),
            ]
        ),
    ),
]
