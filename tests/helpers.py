"""Small helpers shared by the test modules."""

import subprocess
import sys
import time
from pathlib import Path

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
