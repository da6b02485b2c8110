"""Invitations on the Members tab in a real browser, wide and at 390 px."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from organizations.models import Invitation, InvitationStatus
from organizations.views.invitations import INVITATION_REVOKED, INVITATION_SENT

pytestmark = pytest.mark.browser


def invite(page, email: str, role: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Role", exact=True).select_option(label=role)
    page.get_by_role("button", name="Send invitation").click()


@pytest.mark.parametrize("width", [1280, 390])
def test_an_owner_invites_sees_them_pending_and_revokes_one(page, sign_in, owner, org, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)
    page.goto(f"/orgs/{org.pk}/integrations/members/")

    invite(page, "vet@example.com", "Admin")
    sent = INVITATION_SENT.format(email="vet@example.com", role="admin", days=7)
    expect(page.get_by_text(sent)).to_be_visible()
    invite(page, "nurse@example.com", "Member")

    vet = page.locator('tr[data-invitation="vet@example.com"]')
    nurse = page.locator('tr[data-invitation="nurse@example.com"]')
    expect(vet.locator(".badge-role")).to_have_text("Admin")
    expect(nurse.locator(".badge-role")).to_have_text("Member")
    assert sorted(m.to[0] for m in mail.outbox) == ["nurse@example.com", "vet@example.com"]
    # Nothing sticks out sideways: the tab works at a phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    nurse.get_by_role("button", name="Revoke").click()

    expect(page.get_by_text(INVITATION_REVOKED.format(email="nurse@example.com"))).to_be_visible()
    expect(nurse).to_have_count(0)
    expect(vet).to_be_visible()
    statuses = dict(Invitation.objects.values_list("email", "status"))
    assert statuses == {
        "vet@example.com": InvitationStatus.PENDING,
        "nurse@example.com": InvitationStatus.REVOKED,
    }
