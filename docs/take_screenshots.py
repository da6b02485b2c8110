"""Retake the README screenshots: docs/screenshots/api-keys.png and show-once.png.

Run `.venv/bin/python docs/take_screenshots.py` (or `make screenshots`). The script builds a
throwaway SQLite database, migrates it, seeds a demo organization with a few keys through
the lifecycle services, serves the app with `runserver` on a free port and photographs the
pages with Debian's chromium (`/usr/bin/chromium`) through Playwright. Nothing it makes
outlives it except the two PNG files.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script from anywhere: make the project importable first.
sys.path.insert(0, str(BASE_DIR))
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OUTPUT = BASE_DIR / "docs" / "screenshots"
OWNER_EMAIL = "dr.rivera@happypaws.example"
PASSWORD = "screenshot-demo-password"  # noqa: S105 - a throwaway account in a throwaway DB
VIEWPORT = {"width": 1360, "height": 820}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database: Path) -> dict[str, str]:
    """The environment both this process and the server run with: DEBUG on a temp DB."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PYTEST_VERSION"}}
    env.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="portal.settings",
        LOG_LEVEL="WARNING",
    )
    return env


def seed() -> str:
    """Create the demo organization and its keys through the services; return its id."""
    from allauth.account.models import EmailAddress
    from django.core.management import call_command
    from django.utils import timezone

    from apikeys import services as keys
    from apikeys.authentication import APIKeyAuthentication
    from organizations import services as orgs
    from organizations.models import User

    call_command("migrate", verbosity=0, interactive=False)
    owner = User.objects.create_user(OWNER_EMAIL, PASSWORD, full_name="Dr. Ana Rivera")
    admin = User.objects.create_user("it@happypaws.example", PASSWORD, full_name="Sam Okafor")
    for user in (owner, admin):  # signing in takes a confirmed address
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    org = orgs.organization_create(name="Happy Paws Veterinary Clinic", owner=owner)
    orgs.member_add(organization=org, actor=owner, email=admin.email, role="admin", acting_key=None)

    def create(name: str, **kwargs: object):
        kwargs.setdefault("scopes", ["records:read"])
        return keys.api_key_create(organization=org, actor=owner, name=name, **kwargs)

    revoked, _ = create("Old billing export", scopes=["records:read"])
    keys.api_key_revoke(key=revoked, actor=owner, acting_key=None)
    paused, _ = create("Staging test suite", mode="test", scopes=["records:read", "devices:read"])
    keys.api_key_pause(key=paused, actor=owner, acting_key=None)
    relay, _ = create("Webhook relay", scopes=["webhooks:manage"])
    keys.api_key_rotate(key=relay, actor=admin, grace_period_seconds=86400, acting_key=None)
    create(
        "Analytics dashboard",
        scopes=["organization:read", "records:read"],
        expires_at=timezone.now() + timedelta(days=90),
    )
    _, kiosk_raw = create("Reception kiosk", scopes=["devices:read"])
    production, production_raw = create(
        "Production PMS sync", scopes=["records:read", "records:write"]
    )
    keys.api_key_set_default(key=production, actor=owner, acting_key=None)
    # Authenticate once with two keys, so "Last used" shows real values.
    for raw in (production_raw, kiosk_raw):
        APIKeyAuthentication().authenticate_key(raw)
    return str(org.pk)


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("runserver exited before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"runserver did not answer at {url} within {timeout}s")


def photograph(base_url: str, organization_id: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(base_url=base_url, viewport=VIEWPORT, device_scale_factor=1)
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(OWNER_EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**/orgs/{organization_id}/integrations/api-keys/")
        page.screenshot(path=str(OUTPUT / "api-keys.png"), full_page=True)

        page.get_by_role("link", name="Create API key").click()
        page.get_by_label("Name", exact=True).fill("Lab results uploader")
        page.get_by_role("checkbox", name="records:write").check()
        page.get_by_role("button", name="Create key").click()
        expect(page.locator("#api-key-value")).to_be_visible()
        page.screenshot(path=str(OUTPUT / "show-once.png"), full_page=True)
        browser.close()


def main() -> int:
    if not os.access(CHROMIUM, os.X_OK):
        print(f"Debian's chromium is needed at {CHROMIUM} (apt-get install chromium).")
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="keyportal-screenshots-"))
    env = app_environment(workdir / "db.sqlite3")
    os.environ.update(env)
    for name in ("REDIS_URL", "PYTEST_VERSION"):
        os.environ.pop(name, None)
    import django

    django.setup()
    organization_id = seed()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base_url}/accounts/login/", server)
        photograph(base_url, organization_id)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"Saved {OUTPUT / 'api-keys.png'} and {OUTPUT / 'show-once.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
