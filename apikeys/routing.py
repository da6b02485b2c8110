"""WebSocket routes, mounted by `portal/asgi.py` behind `APIKeyWebSocketMiddleware`."""

from django.urls import path

from apikeys.channels import APIKeyWebSocketMiddleware
from apikeys.consumers import AuditStreamConsumer

websocket_urlpatterns = [path("api/ws/audit/", AuditStreamConsumer.as_asgi())]


def websocket_application() -> APIKeyWebSocketMiddleware:
    """Every WebSocket route, each connection authenticated (see `apikeys.channels`)."""
    from channels.routing import URLRouter

    return APIKeyWebSocketMiddleware(URLRouter(websocket_urlpatterns))
