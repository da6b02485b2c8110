"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

One browser serves the whole session; each test gets a fresh context (cookies, storage).
A failing test leaves a full-page screenshot in `test-results/`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.browser.asgi_server import asgi_server_url  # noqa: F401  (a fixture)
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.helpers import reauthenticated

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT_MS = 15_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    # Keep each phase's report on the test item, so fixtures can tell a failure at teardown.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def playwright_instance():
    """Start Playwright once, or skip (fail under REQUIRE_BROWSER=1) without chromium."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, which Django would take for
    # async code and refuse ORM calls from the test body. Allowed for the browser tests only,
    # and Playwright stops with this package, so no other test runs beside a live loop.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    yield playwright
    playwright.stop()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db, request):
    """A fresh page on the live server; screenshots itself into test-results/ on failure."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def api(playwright_instance, live_server):
    """A cookie-less HTTP client for the REST API, as an integration would call it."""
    context = playwright_instance.request.new_context(base_url=live_server.url)
    yield context
    context.dispose()


@pytest.fixture
def sign_in(live_server):
    """Put a session for `user`, signed in just now, into the page's browser context."""

    def sign_in(page, user) -> None:
        client = Client()
        client.force_login(user)
        reauthenticated(client, user)  # as signing in on the page just now would
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )

    return sign_in
