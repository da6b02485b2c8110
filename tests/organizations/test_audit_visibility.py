"""Who reads the audit log: one rule (`can_read_audit`) for the pages, the API and the admin.

The log holds actors' emails and IP addresses, so owners, admins and staff read it and
members do not, whichever interface they ask.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from organizations.models import Role
from organizations.permissions import AUDIT_NOT_VISIBLE, can_read_audit
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

# Who may read the log: staff belong to no organization and act as its admins.
READS_AUDIT = {"owner": True, "admin": True, "member": False, "staff": True}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.OWNER, True), (Role.ADMIN, True), (Role.MEMBER, False), (None, False)],
)
def test_only_owners_and_admins_may_read_the_audit_log(role, allowed):
    assert can_read_audit(role) is allowed
    if role is not None:
        assert can_read_audit(role.value) is allowed  # the raw membership value, too


def test_the_rule_covers_every_role():
    assert {role for role in Role if can_read_audit(role)} == {Role.OWNER, Role.ADMIN}


@pytest.mark.parametrize("who", READS_AUDIT)
def test_the_audit_log_page_answers_by_the_rule(request, org, owner, make_key, who):
    make_key(name="Front desk")
    response = signed_in(request.getfixturevalue(who)).get(reverse("audit-log", args=[org.pk]))

    if READS_AUDIT[who]:
        assert response.status_code == 200
        assert "owner@example.com" in response.content.decode()
    else:
        assert response.status_code == 403
        assert response.context["exception"] == AUDIT_NOT_VISIBLE
        assert "owner@example.com" not in response.content.decode()


@pytest.mark.parametrize("who", READS_AUDIT)
def test_the_audit_log_tab_is_shown_by_the_rule(request, org, who):
    response = signed_in(request.getfixturevalue(who)).get(reverse("api-keys", args=[org.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    audit_url = reverse("audit-log", args=[org.pk])
    assert ("audit-log" in [slug for slug, _, _ in response.context["tabs"]]) is READS_AUDIT[who]
    assert (f'<a href="{audit_url}">Audit log</a>' in html) is READS_AUDIT[who]
    assert (audit_url in html) is READS_AUDIT[who]


@pytest.mark.parametrize("who", READS_AUDIT)
def test_the_api_answers_by_the_same_rule(request, org, owner, make_key, who):
    make_key(name="Front desk")
    client = signed_in(request.getfixturevalue(who))

    response = client.get(f"/api/audit-events/?organization_id={org.pk}")

    if READS_AUDIT[who]:
        assert response.status_code == 200
        assert [e["actor_email"] for e in response.json()["results"]] == [owner.email]
    else:
        assert (response.status_code, response.json()) == (403, {"detail": AUDIT_NOT_VISIBLE})
