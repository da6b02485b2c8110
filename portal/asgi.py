"""ASGI entry point: HTTP (Django) and WebSockets (Channels) in one application.

`make run` serves both on one port (Daphne's runserver). In production HTTP stays on
gunicorn (`portal.wsgi`, the benchmarked path) and this application serves `/api/ws/` under
Daphne behind the same proxy (README, Production).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Web requests get database statement and lock timeouts; migrations and commands do not.
os.environ["KEYPORTAL_WEB_PROCESS"] = "1"
http_application = get_asgi_application()  # sets Django up before the imports below

from channels.routing import ProtocolTypeRouter  # noqa: E402

from apikeys.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        # No origin check: no socket credential is ambient (see apikeys.channels).
        "websocket": websocket_application(),
    }
)
