"""Retake the README screenshots: docs/screenshots/api-keys.png, show-once.png, key-page.png.

Run `.venv/bin/python docs/take_screenshots.py` (or `make screenshots`); name pictures to
retake only those (`docs/take_screenshots.py key-page`). The script builds a throwaway
SQLite database, migrates it, seeds a demo organization with a few keys through the
lifecycle services and a month of usage history for its production key, serves the app with
`runserver` on a free port, calls the API with that key over HTTP (so the key's page shows
live counts and its last caller) and photographs the pages with Debian's chromium
(`/usr/bin/chromium`) through Playwright. Nothing it makes outlives it except the PNG files.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script from anywhere: make the project importable first.
sys.path.insert(0, str(BASE_DIR))
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OUTPUT = BASE_DIR / "docs" / "screenshots"
OWNER_EMAIL = "dr.rivera@happypaws.example"
PASSWORD = "screenshot-demo-password"  # noqa: S105 - a throwaway account in a throwaway DB
VIEWPORT = {"width": 1360, "height": 820}
KEY_PAGE_VIEWPORT = {"width": 1280, "height": 820}
PICTURES = ("api-keys", "show-once", "key-page")
# The production key's integration, as its page's "Last used ... from" line shows it.
SYNC_USER_AGENT = "happypaws-pms-sync/3.2.0 (python-requests/2.32)"


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
        EMAIL_URL="dummymail://",  # the seed's key notices go nowhere, not to the console
    )
    return env


def hourly_requests(hour: datetime, rng: random.Random, *, busiest: int) -> tuple[int, int]:
    """Made-up (accepted, rate-limited) requests of a clinic's integration in one UTC hour:
    busy in opening hours, quieter at weekends, a nightly batch that runs into its limit."""
    opening = 8 <= hour.hour < 19
    accepted = rng.randint(busiest // 2, busiest) if opening else rng.randint(0, busiest // 10)
    if hour.weekday() >= 5:
        accepted //= 3
    limited = rng.randint(4, 15) if hour.hour == 2 and rng.random() < 0.6 else 0
    return accepted, limited


def seed_usage(key, *, busiest: int, now: datetime, seed: int) -> None:
    """Store 30 days of made-up usage for `key`, up to the hour before `now`: the last days as
    hours (the key page's 48-hour chart), the days before as rolled-up days."""
    from apikeys.models import KeyUsage, UsagePeriod

    rng = random.Random(seed)  # noqa: S311 - the same picture every run, bar the dates
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    hours_from = today - timedelta(days=2)
    rows, day_sums = [], {}
    moment = today - timedelta(days=29)
    this_hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while moment < this_hour:
        accepted, limited = hourly_requests(moment, rng, busiest=busiest)
        if moment >= hours_from:
            rows.append((UsagePeriod.HOUR, moment, accepted, limited))
        else:
            day = moment.replace(hour=0)
            previous = day_sums.get(day, (0, 0))
            day_sums[day] = (previous[0] + accepted, previous[1] + limited)
        moment += timedelta(hours=1)
    rows += [(UsagePeriod.DAY, day, a, limited) for day, (a, limited) in day_sums.items()]
    KeyUsage.objects.bulk_create(
        KeyUsage(api_key=key, period=period, starts_at=start, accepted=a, limited=limited)
        for period, start, a, limited in rows
    )


def date_back(key, age: timedelta) -> None:
    """Make `key` and its events so far `age` older: its usage history goes back a month.

    Audit events are append-only in the app (its managers refuse updates): in this
    throwaway database they are rewritten with SQL, one parameterized statement each.
    """
    from django.db import connection

    from apikeys.models import APIKey
    from core.models import AuditEvent

    APIKey.objects.filter(pk=key.pk).update(created_at=key.created_at - age)
    meta = AuditEvent._meta
    when, pk = meta.get_field("created_at"), meta.pk
    table, column, pk_column = (
        connection.ops.quote_name(name) for name in (meta.db_table, when.column, pk.column)
    )
    # Names come from the model, quoted by the backend; the values are parameters.
    sql = f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for event_id, created_at in AuditEvent.objects.filter(api_key=key).values_list(
            "pk", "created_at"
        ):
            cursor.execute(
                sql,
                [
                    when.get_db_prep_value(created_at - age, connection),
                    pk.get_db_prep_value(event_id, connection),
                ],
            )


def seed() -> tuple[str, object, str]:
    """Create the demo organization, its keys and their usage through the services and the
    models; return the organization's id, the production key and its plaintext."""
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
        kwargs.setdefault("acting_key", None)  # the owner, on the page: no key acts
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
    kiosk, kiosk_raw = create("Reception kiosk", scopes=["devices:read"])
    production, production_raw = create(
        "Production PMS sync", scopes=["records:read", "records:write"]
    )
    keys.api_key_set_default(key=production, actor=owner, acting_key=None)
    now = timezone.now()
    date_back(production, timedelta(days=45, hours=3))
    seed_usage(production, busiest=90, now=now, seed=7)
    seed_usage(kiosk, busiest=12, now=now, seed=11)
    # Authenticate once with the kiosk, so "Last used" shows real values. The production
    # key is used over HTTP once the server runs (`use_production_key`).
    APIKeyAuthentication().authenticate_key(kiosk_raw)
    return str(org.pk), production, production_raw


def use_production_key(base_url: str, key, raw: str) -> None:
    """Call the API with the production key as its integration would, with a pause in the
    middle: this hour's bar shows accepted and refused requests, read live from the server."""
    from apikeys import services as keys

    def call(times: int) -> None:
        request = urllib.request.Request(  # noqa: S310 - our own local server
            f"{base_url}/api/auth/me/",
            headers={"Authorization": f"Bearer {raw}", "User-Agent": SYNC_USER_AGENT},
        )
        for _ in range(times):
            try:
                with urllib.request.urlopen(request, timeout=10):  # noqa: S310
                    pass
            except urllib.error.HTTPError as error:  # the paused key's 401s
                error.close()

    call(16)
    keys.api_key_pause(key=key, actor=key.created_by, acting_key=None)
    call(4)
    keys.api_key_resume(key=key, actor=key.created_by, acting_key=None)
    keys.api_key_set_default(key=key, actor=key.created_by, acting_key=None)  # pausing cleared it
    call(8)


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


def photograph(base_url: str, organization_id: str, key_id: str, pictures: set[str]) -> None:
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
        if "api-keys" in pictures:
            page.screenshot(path=str(OUTPUT / "api-keys.png"), full_page=True)

        if "key-page" in pictures:
            page.set_viewport_size(KEY_PAGE_VIEWPORT)
            page.goto(f"/orgs/{organization_id}/integrations/api-keys/{key_id}/")
            expect(page.locator('svg[data-chart="hours"] rect.seg-refused').first).to_be_visible()
            page.screenshot(path=str(OUTPUT / "key-page.png"), full_page=True)
            page.set_viewport_size(VIEWPORT)

        if "show-once" not in pictures:
            browser.close()
            return
        page.goto(f"/orgs/{organization_id}/integrations/api-keys/")
        page.get_by_role("link", name="Create API key").click()
        page.get_by_label("Name", exact=True).fill("Lab results uploader")
        page.get_by_role("checkbox", name="records:write").check()
        page.get_by_role("button", name="Create key").click()
        expect(page.locator("#api-key-value")).to_be_visible()
        page.screenshot(path=str(OUTPUT / "show-once.png"), full_page=True)
        browser.close()


def main(names: list[str]) -> int:
    pictures = set(names or PICTURES)
    if pictures - set(PICTURES):
        print(f"Pictures to retake: any of {', '.join(PICTURES)} (all if none is named).")
        return 2
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
    organization_id, production, production_raw = seed()
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
        use_production_key(base_url, production, production_raw)
        photograph(base_url, organization_id, str(production.pk), pictures)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    print("Saved " + ", ".join(str(OUTPUT / f"{name}.png") for name in sorted(pictures)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
