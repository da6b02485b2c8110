"""An ASGI live server (Daphne, in a thread of the test process) for pages that use WebSockets.

pytest-django's `live_server` speaks WSGI only. This serves the project's ASGI application
(HTTP and WebSockets, as `make run` does) on a free port, once per test session: Twisted's
reactor cannot be restarted. Being in process, it shares the test database (SQLite's shared
in-memory database included) and the in-memory channel layer with the test.
"""

from __future__ import annotations

import threading

import pytest


@pytest.fixture(scope="session")
def asgi_server_url(django_db_setup, django_db_blocker) -> str:
    from channels.routing import ProtocolTypeRouter
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application
    from django.db import connections
    from twisted.internet import reactor

    from apikeys.routing import websocket_application

    application = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": websocket_application(),
        }
    )
    # The server's requests run in threads of their own: no connection may outlive its
    # request there, or the test database could not be dropped at the end of the run.
    database = connections.databases["default"]
    kept_connections = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    ready = threading.Event()
    server = Server(
        application=application,
        endpoints=["tcp:port=0:interface=127.0.0.1"],
        signal_handlers=False,
        ready_callable=ready.set,
        verbosity=0,
    )
    thread = threading.Thread(target=server.run, name="daphne", daemon=True)
    thread.start()
    assert ready.wait(10), "Daphne did not start"
    for _ in range(100):
        if server.listening_addresses:
            break
        threading.Event().wait(0.05)
    host, port = server.listening_addresses[0]
    with django_db_blocker.unblock():
        yield f"http://{host}:{port}"
    reactor.callFromThread(reactor.stop)
    thread.join(5)
    database["CONN_MAX_AGE"] = kept_connections
