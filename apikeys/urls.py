"""Routes of the API Keys and Audit log tabs, mounted under /orgs/<id>/integrations/."""

from django.urls import path

from apikeys.views import audit, key_actions, key_page, keys

key_patterns = [
    path("", keys.api_key_list, name="api-keys"),
    path("new/", keys.api_key_create, name="api-key-create"),
    path("created/", keys.api_key_created, name="api-key-created"),
    path("<uuid:key_id>/", key_page.api_key_detail, name="api-key-detail"),
    path("<uuid:key_id>/rename/", key_actions.api_key_rename, name="api-key-rename"),
    path("<uuid:key_id>/rotate/", key_actions.api_key_rotate, name="api-key-rotate"),
    path("<uuid:key_id>/revoke/", key_actions.api_key_revoke, name="api-key-revoke"),
    path(
        "<uuid:key_id>/pause/",
        key_actions.api_key_action,
        {"action": "pause"},
        name="api-key-pause",
    ),
    path(
        "<uuid:key_id>/resume/",
        key_actions.api_key_action,
        {"action": "resume"},
        name="api-key-resume",
    ),
    path(
        "<uuid:key_id>/set-default/",
        key_actions.api_key_action,
        {"action": "set-default"},
        name="api-key-set-default",
    ),
    path(
        "<uuid:key_id>/remove-default/",
        key_actions.api_key_action,
        {"action": "remove-default"},
        name="api-key-remove-default",
    ),
]

audit_patterns = [
    path("", audit.audit_log, name="audit-log"),
    path("export/<str:file_format>/", audit.audit_log_export, name="audit-log-export"),
]
