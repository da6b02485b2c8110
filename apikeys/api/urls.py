"""REST routes of API keys, identity and the audit trail, under /api/."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apikeys.api.views.audit import AuditEventListView
from apikeys.api.views.keys import APIKeyViewSet
from apikeys.api.views.me import MeView
from apikeys.api.views.users import UserAPIKeyListView
from apikeys.api.views.ws_tickets import WebSocketTicketView

router = SimpleRouter(use_regex_path=False)
router.register("api-keys", APIKeyViewSet, basename="api-key")

urlpatterns = [
    path("auth/me/", MeView.as_view(), name="auth-me"),
    path("users/<uuid:user_id>/api-keys/", UserAPIKeyListView.as_view(), name="user-api-keys"),
    path("audit-events/", AuditEventListView.as_view(), name="audit-events"),
    path("ws-tickets/", WebSocketTicketView.as_view(), name="ws-tickets"),
    path("", include(router.urls)),
]
