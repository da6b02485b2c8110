"""REST routes of API keys, identity and the audit trail, under /api/."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apikeys.api.views.audit import AuditEventExportView, AuditEventListView
from apikeys.api.views.keys import APIKeyViewSet
from apikeys.api.views.leaks import GitHubSecretScanningView, LeakReportView
from apikeys.api.views.me import MeView
from apikeys.api.views.my_keys import my_key, my_key_rotate, my_keys
from apikeys.api.views.users import UserAPIKeyListView
from apikeys.api.views.ws_tickets import WebSocketTicketView

router = SimpleRouter(use_regex_path=False)
router.register("api-keys", APIKeyViewSet, basename="api-key")

urlpatterns = [
    path("auth/me/", MeView.as_view(), name="auth-me"),
    path("users/me/api-keys/", my_keys, name="my-api-keys"),
    path("users/me/api-keys/<uuid:pk>/", my_key, name="my-api-key"),
    path("users/me/api-keys/<uuid:pk>/rotate/", my_key_rotate, name="my-api-key-rotate"),
    path("users/<uuid:user_id>/api-keys/", UserAPIKeyListView.as_view(), name="user-api-keys"),
    path("audit-events/", AuditEventListView.as_view(), name="audit-events"),
    path("audit-events/export/", AuditEventExportView.as_view(), name="audit-events-export"),
    path("ws-tickets/", WebSocketTicketView.as_view(), name="ws-tickets"),
    path(
        "secret-scanning/github/",
        GitHubSecretScanningView.as_view(),
        name="secret-scanning-github",
    ),
    path("leaked-keys/", LeakReportView.as_view(), name="leaked-keys"),
    path("", include(router.urls)),
]
