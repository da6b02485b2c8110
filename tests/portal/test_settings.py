"""Production settings: a missing secret stops start-up; the deploy check and headers hold."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_python

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-like-secret-key-" + "x" * 40,
    "ALLOWED_HOSTS": "portal.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
    "APIKEYS_PEPPER": "a-pepper-of-its-own-" + "y" * 40,
}


def manage(*args, env, drop=()):
    """Run manage.py on the shipped settings (manage.py's default, not the test settings).

    The rest of this process's environment, pytest's PYTEST_VERSION included, passes through:
    production settings must not change behaviour under a test runner.
    """
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", *drop)
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_secret_key_is_a_clear_start_up_error():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_deploy_check_is_clean_in_a_production_like_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_when_the_pepper_is_derived_from_the_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "APIKEYS_PEPPER"}
    result = manage("check", "--deploy", env=env, drop=("APIKEYS_PEPPER",))
    assert "apikeys.W001" in result.stdout + result.stderr


def test_the_deploy_check_warns_when_several_workers_run_without_redis():
    env = {**PRODUCTION_ENV, "GUNICORN_WORKERS": "4"}
    result = manage("check", "--deploy", env=env, drop=("REDIS_URL",))
    assert "apikeys.W002" in result.stdout + result.stderr


@pytest.mark.django_db
def test_security_headers_are_sent(client, settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_passwords_are_hashed_with_argon2_in_production():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])",
        env=PRODUCTION_ENV,
    )
    assert (
        result.stdout.strip().splitlines()[-1] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    )


def _database_options(*, web: bool) -> dict:
    """The PostgreSQL connection options a process would get (nothing connects)."""
    env = {**os.environ, "DATABASE_URL": "postgres://keyportal@127.0.0.1:1/keyportal"}
    env.pop("KEYPORTAL_WEB_PROCESS", None)
    entry = "import portal.wsgi" if web else "import django; django.setup()"
    code = (
        f"{entry}; import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    done = run_python(code, env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_web_requests_get_statement_and_lock_timeouts():
    options = _database_options(web=True)["options"]
    assert "statement_timeout=10000" in options and "lock_timeout=5000" in options


def test_migrations_and_commands_run_without_them():
    assert "options" not in _database_options(web=False)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="PostgreSQL's own timeouts: runs in CI's PostgreSQL pass (set DATABASE_URL)",
)
def test_a_web_process_connection_really_has_the_timeouts():
    code = (
        "import portal.wsgi; from django.db import connection; cursor = connection.cursor(); "
        "cursor.execute('SHOW statement_timeout'); a = cursor.fetchone()[0]; "
        "cursor.execute('SHOW lock_timeout'); print(a, cursor.fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "KEYPORTAL_WEB_PROCESS"}
    done = run_python(code, env)

    assert done.stdout.split() == ["10s", "5s"]


@pytest.mark.django_db
def test_the_pages_carry_a_content_security_policy_without_inline_script(client, owner, org):
    client.force_login(owner)

    response = client.get(f"/orgs/{org.pk}/integrations/api-keys/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy


def test_no_page_template_holds_an_inline_script():
    templates = [p for p in (ROOT / "templates").rglob("*.html") if "admin" not in p.parts]
    assert templates
    for template in templates:
        html = template.read_text()
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"{template}: {tag}"
        # Emails' HTML parts are no pages: mail clients load no stylesheet, so their styling
        # is inline, and the site never serves them (no CSP applies). Scripts stay banned.
        if "email" not in template.parts:
            assert "<style" not in html and " style=" not in html, template
        assert not re.search(r"\son[a-z]+=", html), f"{template}: an inline event handler"
