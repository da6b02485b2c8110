"""The Integrations pages in a real browser: a key's whole life, as a user lives it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apikeys.models import APIKey
from apikeys.show_once import NO_LONGER_SHOWN, SHOWN_ONCE
from organizations.models import Role
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.browser


def me(api, raw: str):
    """GET /api/auth/me/ with the key, as an integration would."""
    return api.get("/api/auth/me/", headers={"Authorization": f"Bearer {raw}"})


def key_row(page, raw: str):
    prefix = APIKey.objects.get(prefix=raw[:16]).prefix
    return page.locator(f'tr[data-prefix="{prefix}"]')


def test_the_whole_life_of_a_key(page, api, live_server, owner, org):
    # Sign in through the form; the landing page is the organization's API Keys tab.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/orgs/{org.pk}/integrations/api-keys/$"))
    expect(page.get_by_role("heading", name="No API keys yet")).to_be_visible()

    # Create a key and read it off the show-once page.
    page.get_by_role("link", name="Create your first API key").click()
    page.get_by_label("Name", exact=True).fill("Walk key")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text(SHOWN_ONCE)).to_be_visible()
    raw = page.locator("#api-key-value").inner_text()
    expect(page.locator("#organization-id-value")).to_have_text(str(org.pk))
    expect(page.locator("#curl-value")).to_contain_text(
        f'curl -H "Authorization: Bearer {raw}" {live_server.url}/api/auth/me/'
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy key").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == raw
    response = me(api, raw)
    assert response.status == 200
    assert response.json()["organization_id"] == str(org.pk)

    # A reload finds nothing left to show.
    page.reload()
    expect(page.get_by_text(NO_LONGER_SHOWN)).to_be_visible()
    assert raw not in page.content()

    page.get_by_role("link", name="Back to API keys").click()
    row = key_row(page, raw)
    expect(row.locator(".badge-active")).to_have_text("Active")

    # Default, then pause (refused by the API) and resume (accepted again).
    row.get_by_role("button", name="Set default").click()
    expect(row.locator(".badge-default")).to_have_text("Default")
    row.get_by_role("button", name="Pause").click()
    expect(row.locator(".badge-paused")).to_have_text("Paused")
    expect(row.locator(".badge-default")).to_have_count(0)  # a paused key is never default
    assert me(api, raw).status == 401
    row.get_by_role("button", name="Resume").click()
    expect(row.locator(".badge-active")).to_have_text("Active")
    assert me(api, raw).status == 200
    row.get_by_role("button", name="Set default").click()
    expect(row.locator(".badge-default")).to_have_text("Default")

    # Rotate without grace: the old key stops, the new one (shown once) works.
    row.get_by_role("link", name="Rotate").click()
    page.get_by_label("None: the current key stops working now").check()
    page.get_by_role("button", name="Rotate key").click()
    expect(page.get_by_text(SHOWN_ONCE)).to_be_visible()
    new_raw = page.locator("#api-key-value").inner_text()
    assert new_raw != raw
    assert me(api, raw).status == 401
    assert me(api, new_raw).status == 200

    # Revoke the new key from its confirm page.
    page.get_by_role("link", name="I have stored the key").click()
    expect(key_row(page, raw).locator(".badge-revoked")).to_have_text("Revoked")
    new_row = key_row(page, new_raw)
    expect(new_row.locator(".badge-default")).to_have_text("Default")
    new_row.get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke “Walk key”?")).to_be_visible()
    page.get_by_role("button", name="Revoke “Walk key”").click()
    expect(page.get_by_text("“Walk key” is revoked")).to_be_visible()
    expect(key_row(page, new_raw).locator(".badge-revoked")).to_have_text("Revoked")
    assert me(api, new_raw).status == 401
    assert raw not in page.content() and new_raw not in page.content()


def test_a_member_sees_the_keys_but_no_action_buttons(page, sign_in, member, org, make_key):
    key, _ = make_key(name="Reception tablet")
    sign_in(page, member)
    page.goto(f"/orgs/{org.pk}/integrations/api-keys/")
    row = page.locator(f'tr[data-prefix="{key.prefix}"]')
    expect(row).to_contain_text("Reception tablet")
    expect(page.get_by_text("only owners and admins can make changes")).to_be_visible()
    for name in ["Set default", "Pause", "Create API key"]:
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    for name in ["Rename", "Rotate", "Revoke", "Create API key"]:
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)


def test_the_create_form_shows_its_errors_inline(page, sign_in, owner, org):
    sign_in(page, owner)
    page.goto(f"/orgs/{org.pk}/integrations/api-keys/new/")
    page.get_by_label("Expires", exact=True).select_option("date")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("Give the key a name.")).to_be_visible()
    expect(page.get_by_text("Choose the date the key expires.")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    assert not APIKey.objects.exists()


def test_the_switcher_opens_another_organizations_keys(page, sign_in, owner, org):
    second = OrganizationFactory(name="Zebra Vets")
    MembershipFactory(organization=second, user=owner, role=Role.ADMIN)
    sign_in(page, owner)
    page.goto("/integrations/")
    expect(page).to_have_url(re.compile(rf"/orgs/{org.pk}/"))
    page.get_by_label("Organization").select_option(label="Zebra Vets")
    page.get_by_role("button", name="Switch").click()
    expect(page).to_have_url(re.compile(rf"/orgs/{second.pk}/integrations/api-keys/$"))
    page.goto("/integrations/")
    expect(page).to_have_url(re.compile(rf"/orgs/{second.pk}/"))


def test_the_audit_log_fits_a_phone_even_with_a_long_key_name(page, sign_in, owner, org, make_key):
    make_key(name="x" * 100)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, owner)
    page.goto(f"/orgs/{org.pk}/integrations/audit-log/")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_every_keys_actions_stay_on_screen_even_with_a_long_name(
    page, sign_in, owner, org, make_key, width
):
    make_key(name="y" * 100, scopes=["organization:read", "records:read"])
    make_key(name="Short", expires_at=timezone.now() + timedelta(days=90))
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)
    page.goto(f"/orgs/{org.pk}/integrations/api-keys/")

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The table itself does not scroll sideways either: nothing hides past its right edge.
    wrap = page.locator(".table-wrap").bounding_box()
    assert page.evaluate(
        "(w => w.scrollWidth <= w.clientWidth)(document.querySelector('.table-wrap'))"
    )
    buttons = page.locator(".actions").get_by_role("button").all()
    buttons += page.locator(".actions").get_by_role("link").all()
    assert len(buttons) == 2 * 5  # Set default, Pause, Rename, Rotate, Revoke per key
    for button in buttons:
        box = button.bounding_box()
        assert box is not None and box["x"] >= wrap["x"]
        assert box["x"] + box["width"] <= min(width, wrap["x"] + wrap["width"])
