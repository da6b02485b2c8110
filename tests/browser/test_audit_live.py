"""The Audit log tab shows new events live (a WebSocket), and stays a plain page without it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser


@pytest.fixture
def asgi_context(browser, asgi_server_url, transactional_db):
    contexts = []

    def open_signed_in(user):
        context = browser.new_context(base_url=asgi_server_url)
        context.set_default_timeout(TIMEOUT_MS)
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": asgi_server_url}]
        )
        contexts.append(context)
        return context

    yield open_signed_in
    for context in contexts:
        context.close()


def test_an_action_in_one_tab_appears_in_another_tabs_audit_log(asgi_context, owner, org, make_key):
    make_key(name="Live billing sync")
    context = asgi_context(owner)
    audit, keys = context.new_page(), context.new_page()
    audit.goto(f"/orgs/{org.pk}/integrations/audit-log/")
    expect(audit.locator("[data-live-audit]")).to_have_attribute("data-live-audit", "connected")

    keys.goto(f"/orgs/{org.pk}/integrations/api-keys/")
    key_row = keys.locator("tr", has_text="Live billing sync")
    key_row.get_by_role("button", name="Pause").click()
    expect(key_row.locator(".badge-paused")).to_have_text("Paused")

    # No reload: the event arrives over the socket.
    row = audit.locator("tbody tr").first
    expect(row).to_contain_text("Key paused")
    expect(row).to_contain_text(owner.email)
    expect(audit.locator("[data-live-empty]")).to_have_count(0)


def test_without_javascript_the_audit_log_is_a_plain_page(
    browser,
    asgi_server_url,
    transactional_db,
    owner,
    org,
):
    context = browser.new_context(base_url=asgi_server_url, java_script_enabled=False)
    client = Client()
    client.force_login(owner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": asgi_server_url}]
    )
    page = context.new_page()
    page.goto(f"/orgs/{org.pk}/integrations/audit-log/")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.locator("[data-live-audit]")).not_to_have_attribute("data-live-audit", "connected")
    context.close()
