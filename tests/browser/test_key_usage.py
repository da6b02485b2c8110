"""A key's usage in a real browser: requests made with it over HTTP show at once, drawn, on
its page (hours and days charts, their table, the last caller) and on the keys list."""

from __future__ import annotations

from collections import Counter

import pytest
from playwright.sync_api import expect

from apikeys import services
from apikeys.models import EffectiveStatus
from apikeys.views.key_page import TRIED_SINCE, times

pytestmark = pytest.mark.browser

USER_AGENT = "clinic-sync/2.4.1 (usage browser test)"
# Requests the key may make per minute: 8 in a row go over it even if a new minute starts
# among them (one side of any split holds at least 4).
PER_MINUTE = 2
OVER_THE_LIMIT = 8
AFTER_PAUSE = 3
STATUS_KIND = {200: "accepted", 401: "refused", 429: "limited"}


def call_me(api, raw: str) -> int:
    """GET /api/auth/me/ with the key and a recognizable user agent; return the status."""
    headers = {"Authorization": f"Bearer {raw}", "User-Agent": USER_AGENT}
    return api.get("/api/auth/me/", headers=headers).status


def chart_counts(chart) -> Counter:
    """Sum the chart's segments by kind, from their data-count."""
    counts: Counter = Counter()
    for kind in ("accepted", "refused", "limited"):
        for segment in chart.locator(f"rect.seg-{kind}").all():
            counts[kind] += int(segment.get_attribute("data-count"))
    return counts


def drawn(locator) -> dict:
    """The element's box on screen, asserting it takes up room."""
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0, box
    return box


def test_requests_made_with_a_key_show_on_its_page_and_in_the_list(
    page, api, sign_in, owner, org, make_key
):
    key, raw = make_key(name="Clinic sync", scopes=["records:read"])
    key.rate_limit_per_minute = PER_MINUTE
    key.save(update_fields=["rate_limit_per_minute"])
    statuses = [call_me(api, raw) for _ in range(OVER_THE_LIMIT)]
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    statuses += [call_me(api, raw) for _ in range(AFTER_PAUSE)]
    assert set(statuses) == set(STATUS_KIND), statuses
    made = Counter(STATUS_KIND[status] for status in statuses)
    assert made["refused"] == AFTER_PAUSE

    sign_in(page, owner)
    page.goto(f"/orgs/{org.pk}/integrations/api-keys/{key.pk}/")
    hours = page.locator('svg[data-chart="hours"]')
    expect(hours).to_be_visible()
    drawn(hours)
    expect(hours).to_have_attribute("data-total", str(len(statuses)))
    expect(page.locator('svg[data-chart="days"]')).to_have_attribute(
        "data-total", str(len(statuses))
    )
    # Only this hour (and the last, if it just turned) had requests: their bars add up.
    bars = hours.locator("g[data-bar]")
    assert sum(int(bar.get_attribute("data-total")) for bar in bars.all()) == len(statuses)
    assert chart_counts(hours) == made
    for kind in ("accepted", "refused", "limited"):
        drawn(hours.locator(f"rect.seg-{kind}").first)
    expect(page.locator("[data-tried]")).to_have_text(
        TRIED_SINCE[EffectiveStatus.PAUSED].format(times=times(AFTER_PAUSE))
    )
    expect(page.locator("[data-last-used-from]")).to_contain_text(USER_AGENT)

    # The table alternative opens on a click and holds the same numbers.
    figure = page.locator("figure.usage-chart").filter(has=hours)
    table = figure.locator('table[data-usage-table="hours"]')
    expect(table).to_be_hidden()
    figure.get_by_text("Show as a table").click()
    expect(table).to_be_visible()
    shown: Counter = Counter()
    for row in table.locator("tbody tr").all():
        accepted, refused, limited, total = (
            int(cell.replace(",", "")) for cell in row.locator("td").all_inner_texts()
        )
        assert accepted + refused + limited == total
        shown.update(accepted=accepted, refused=refused, limited=limited)
    assert shown == made

    # On a phone the charts shrink to fit: nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = drawn(hours)
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390

    # The keys list draws the same requests as the key's 14-day sparkline.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/orgs/{org.pk}/integrations/api-keys/")
    spark = page.locator(f'tr[data-prefix="{key.prefix}"] svg[data-sparkline]')
    expect(spark).to_be_visible()
    drawn(spark)
    expect(spark).to_have_attribute("data-total", str(len(statuses)))
