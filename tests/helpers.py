"""Small helpers shared by the test modules."""

import subprocess
import sys
from pathlib import Path

from rest_framework.test import APIClient


def signed_in(user) -> APIClient:
    """A client with a session for `user` (APIClient serves pages and the API alike)."""
    client = APIClient()
    client.force_login(user)
    return client


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
