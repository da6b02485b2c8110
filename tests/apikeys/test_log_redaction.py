"""No key in any log line: every handler masks key-shaped values; keys in URLs are refused."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from apikeys import conf, keys
from apikeys.authentication import KEY_IN_URL
from apikeys.log_redaction import RedactAPIKeys

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_redact_masks_genuine_keys_and_leaves_look_alikes(make_key):
    _, raw = make_key()
    mistyped = raw[:-1] + ("A" if raw[-1] != "A" else "B")

    text = f"GET /api/x?api_key={raw} and {mistyped}"

    assert keys.redact(text, conf.brand()) == f"GET /api/x?api_key={keys.mask(raw)} and {mistyped}"


def test_the_filter_masks_a_key_in_a_formatted_message(make_key):
    _, raw = make_key()
    record = logging.LogRecord(
        "django.server", logging.INFO, "", 0, '"GET /?%s HTTP/1.1"', (raw,), None
    )

    RedactAPIKeys().filter(record)

    assert raw not in record.getMessage() and raw[:16] in record.getMessage()


def test_every_configured_handler_masks_keys():
    # Request lines: runserver's (django.server) and Daphne's under `make run`.
    request_lines = ("django.server", "django.channels.server")
    handlers = {*logging.getLogger().handlers}
    for name in request_lines:
        assert not logging.getLogger(name).propagate  # one line per request, not two
        handlers.update(logging.getLogger(name).handlers)

    assert handlers
    for handler in handlers:
        if handler.__class__.__module__.startswith("_pytest"):
            continue  # pytest's own capture handler
        assert any(isinstance(f, RedactAPIKeys) for f in handler.filters), handler


@pytest.mark.parametrize(
    "query",
    ["{key}", "x=Bearer%20{key}", "x=Bearer+{key}", "api_key={key}", "a=1&token={key}"],
)
def test_a_key_anywhere_in_the_query_string_is_refused(make_key, query):
    _, raw = make_key()

    response = APIClient().get(f"/api/auth/me/?{query.format(key=quote(raw))}")

    assert response.status_code == 400
    assert response.json() == {"detail": KEY_IN_URL}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorns_access_log_never_holds_a_key(tmp_path):
    raw, _ = keys.generate(conf.brand(), "live")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = None
        for _ in range(100):  # until the worker answers
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/auth/me/?api_key={raw}", timeout=2
                ) as answer:
                    status = answer.status
            except urllib.error.HTTPError as refused:
                status = refused.code
            except OSError:
                time.sleep(0.1)
                continue
            break
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)

    assert status == 400
    assert "/api/auth/me/?api_key=" in out  # the request was logged...
    assert raw not in out + err  # ...without the key
