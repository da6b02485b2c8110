"""The tokens' signing key: required in production, derived from SECRET_KEY only under DEBUG."""

import os
import subprocess
import sys

from tests.helpers import ROOT

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-like-secret-key-" + "x" * 40,
    "ALLOWED_HOSTS": "portal.example.com",
}
SHOW_KEY = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SIMPLE_JWT['SIGNING_KEY'] == settings.SECRET_KEY, "
    "len(settings.SIMPLE_JWT['SIGNING_KEY']))"
)


def run(args, **env):
    """Run Python at the project root on the shipped settings, with `env` and no signing key."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "JWT_SIGNING_KEY", "DJANGO_SETTINGS_MODULE")
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_a_signing_key_does_not_start():
    result = run(["manage.py", "check"], **PRODUCTION)
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY is not set" in result.stderr


def test_a_short_signing_key_does_not_start():
    result = run(["manage.py", "check"], **PRODUCTION, JWT_SIGNING_KEY="too-short")
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be at least 32 characters" in result.stderr


def test_under_debug_the_signing_key_is_derived_and_is_not_the_secret_key():
    result = run(["-c", SHOW_KEY], DEBUG="1", SECRET_KEY="a-development-secret-key-" + "z" * 20)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "64"]
