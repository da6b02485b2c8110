"""Small helpers shared by the test modules."""

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.test import Client
from rest_framework.test import APIClient


def signed_in(user) -> APIClient:
    """A client with a session for `user` (APIClient serves pages and the API alike)."""
    client = APIClient()
    client.force_login(user)
    return client


def reauthenticated(client, user):
    """Record in `client`'s session that `user` just typed their password again, as allauth's
    re-authentication page does, so pages behind `reauthentication_required` do not ask."""
    from allauth.account.internal.flows import login as allauth_login

    session = client.session
    session[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "reauthenticated": True}
    ]
    session[allauth_login._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def sign_ins_are_fresh(monkeypatch) -> None:
    """Make every `force_login` of a test also a fresh authentication (`reauthenticated`),
    as signing in on the sign-in page is: for the tests of pages behind
    `reauthentication_required` that are not about re-authentication itself."""
    login = Client._login

    def _login(self, user, backend=None):
        login(self, user, backend)
        reauthenticated(self, user)

    monkeypatch.setattr(Client, "_login", _login)


def invitation_by(actor, organization, email="vet@example.com", role="member"):
    """An invitation `actor` sent to `email` through the service (its email waits for a
    commit the test does not run)."""
    from organizations import services

    return services.invitation_create(
        organization=organization,
        actor=actor,
        acting_key=None,
        email=email,
        role=role,
        site_url="http://testserver",
    )


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@contextmanager
def all_logs() -> Iterator[list[str]]:
    """Collect every log line written inside the block, at DEBUG and with every SQL
    statement and its parameters: what a test needs to show a secret reaches no log."""
    handler = _Lines()
    root, db_logger = logging.getLogger(), logging.getLogger("django.db.backends")
    old_level, old_db_level = root.level, db_logger.level
    old_debug_cursor = connection.force_debug_cursor
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    db_logger.setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    try:
        yield handler.lines
    finally:
        connection.force_debug_cursor = old_debug_cursor
        root.removeHandler(handler)
        root.setLevel(old_level)
        db_logger.setLevel(old_db_level)


KEYS = "/api/api-keys/"


def detail(key) -> str:
    """The REST path of one key."""
    return f"{KEYS}{key.pk}/"


ROOT = Path(__file__).resolve().parents[1]


def run_python(
    code: str, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python process at the project root, with its own Django setup.

    For what one process cannot show about another: settings as a web process or a command
    reads them, connections a worker opens, locks several writers take.
    """
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def assert_json_error(response, status: int) -> dict:
    """Assert an API error: `status`, JSON `{"detail": "..."}` and the X-Request-ID header."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response["X-Request-ID"]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body
