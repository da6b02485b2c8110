"""One key's page in a real browser: opened from the list, it fits a phone and a desktop
even with a 100-character unbroken name, and its actions bring the user back to it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apikeys import services
from apikeys.views import key_actions

pytestmark = pytest.mark.browser

LONG_NAME = "k" * 100


def fits(page, width: int) -> None:
    """Nothing scrolls sideways and every action is on screen."""
    # After a click the DOM can be read before the stylesheet applies: measure the laid-out page.
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    actions = page.locator(".key-actions")
    controls = actions.get_by_role("button").all() + actions.get_by_role("link").all()
    assert controls
    for control in controls:
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [390, 1280])
def test_an_owner_opens_a_keys_page_from_the_list_and_acts_on_it(
    page, sign_in, owner, org, make_key, width
):
    old, _ = make_key(name=LONG_NAME, scopes=["records:read"])
    new, _ = services.api_key_rotate(
        key=old, actor=owner, acting_key=None, grace_period_seconds=3600
    )
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)
    page.goto(f"/orgs/{org.pk}/integrations/api-keys/")
    page.locator(f'tr[data-prefix="{new.prefix}"]').get_by_role("link", name=LONG_NAME).click()

    expect(page).to_have_url(re.compile(rf"/orgs/{org.pk}/integrations/api-keys/{new.pk}/$"))
    expect(page.get_by_role("heading", name=LONG_NAME)).to_be_visible()
    expect(page.locator(".key-badges .badge-active")).to_have_text("Active")
    expect(page.locator('[data-scope="records:read"]')).to_contain_text("In effect")
    fits(page, width)

    # The key it replaced is one click away, and says until when it still works.
    page.locator('[data-lineage="replaced"]').get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/api-keys/{old.pk}/$"))
    expect(page.locator('[data-lineage="replaced-by"]')).to_contain_text(new.prefix)
    expect(page.locator("[data-status-reason]")).to_contain_text("keeps working until")
    expect(page.locator('tr[data-action="api_key.rotated"]')).to_have_count(1)
    fits(page, width)

    # Pausing from the key's own page comes back to it.
    page.goto(f"/orgs/{org.pk}/integrations/api-keys/{new.pk}/")
    page.locator(".key-actions").get_by_role("button", name="Pause").click()
    expect(page).to_have_url(re.compile(rf"/api-keys/{new.pk}/$"))
    expect(page.get_by_text(key_actions.PAUSE_DONE.format(name=LONG_NAME))).to_be_visible()
    expect(page.locator(".key-badges .badge-paused")).to_have_text("Paused")
    expect(page.locator("[data-status-reason]")).to_contain_text(f"by {owner.email}")
    fits(page, width)


def test_a_member_reads_a_keys_page_without_actions_or_history(
    page, sign_in, member, org, make_key
):
    key, _ = make_key(name="Reception tablet")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, member)
    page.goto(f"/orgs/{org.pk}/integrations/api-keys/")
    page.get_by_role("link", name="Reception tablet").click()
    expect(page.get_by_role("heading", name="Reception tablet")).to_be_visible()
    expect(page.locator(".key-actions")).to_have_count(0)
    expect(page.locator("[data-events-hidden]")).to_be_visible()
    expect(page.locator("tr[data-action]")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert key.prefix in page.content()
