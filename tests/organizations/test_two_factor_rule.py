"""The organization's two-factor rule: whom it binds, and that only owners change it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.errors import Forbidden, InvalidInput
from core.models import AuditAction, AuditEvent
from organizations import services
from organizations.forms import TWO_FACTOR_RULE_INVALID
from organizations.models import Organization, Role, TwoFactorRule
from organizations.permissions import ONLY_OWNERS_SET_TWO_FACTOR, two_factor_required
from organizations.views.members import TWO_FACTOR_RULE_CHANGED
from tests.helpers import reauthenticated, signed_in

# The rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "bound"),
    [
        ("off", set()),
        ("managers", {"owner", "admin"}),
        ("everyone", {"owner", "admin", "member"}),
    ],
)
def test_two_factor_required_binds_the_roles_the_rule_names(rule, bound):
    assert {role for role in Role.values if two_factor_required(role, rule)} == bound
    assert {role for role in Role if two_factor_required(role, TwoFactorRule(rule))} == bound


def test_no_rule_binds_someone_with_no_role_here():
    assert not any(two_factor_required(None, rule) for rule in TwoFactorRule.values)


@pytest.mark.django_db
def test_a_new_organization_requires_nothing(owner):
    organization = services.organization_create(name="Fresh Vets", owner=owner)

    assert organization.two_factor_rule == TwoFactorRule.OFF


# The service ---------------------------------------------------------------------------


def rule_of(org) -> str:
    return Organization.objects.get(pk=org.pk).two_factor_rule


@pytest.mark.django_db
def test_an_owner_sets_the_rule_and_it_is_audited_with_old_and_new(org, owner):
    services.organization_set_two_factor_rule(actor=owner, organization=org, rule="managers")
    services.organization_set_two_factor_rule(actor=owner, organization=org, rule="managers")

    assert rule_of(org) == "managers"
    [event] = AuditEvent.objects.filter(action=AuditAction.ORGANIZATION_TWO_FACTOR_CHANGED)
    assert (event.actor, event.organization_id) == (owner, org.pk)
    assert event.details == {"from": "off", "to": "managers"}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "member", "staff", "outsider"])
def test_no_one_but_an_owner_changes_the_rule(request, org, owner, who):
    with pytest.raises(Forbidden, match=re.escape(ONLY_OWNERS_SET_TWO_FACTOR)):
        services.organization_set_two_factor_rule(
            actor=request.getfixturevalue(who), organization=org, rule="off"
        )

    assert rule_of(org) == "off"
    assert not AuditEvent.objects.filter(action=AuditAction.ORGANIZATION_TWO_FACTOR_CHANGED)


@pytest.mark.django_db
def test_an_unknown_rule_is_refused(org, owner):
    with pytest.raises(InvalidInput, match=re.escape(services.TWO_FACTOR_RULE_INVALID)):
        services.organization_set_two_factor_rule(actor=owner, organization=org, rule="sometimes")

    assert rule_of(org) == "off"


# The Members tab -----------------------------------------------------------------------


def confirmed(user):
    return reauthenticated(signed_in(user), user)


def shown_after(client, response) -> list[str]:
    """The messages the user reads where the response leads (under a rule that binds them
    and no two-factor yet, that is the two-factor set-up page)."""
    landing = client.get(response["Location"], follow=True)
    return [str(m) for m in landing.context["messages"]]


@pytest.mark.django_db
def test_owners_see_the_rule_form_others_only_the_rule(org, owner, admin):
    url = reverse("members", args=[org.pk])
    action = reverse("two-factor-rule", args=[org.pk])

    owner_html = signed_in(owner).get(url).content.decode()
    admin_html = signed_in(admin).get(url).content.decode()

    assert action in owner_html and 'name="two_factor_rule"' in owner_html
    assert action not in admin_html
    assert TwoFactorRule.OFF.label in admin_html and "Only owners change this rule" in admin_html


@pytest.mark.django_db
def test_an_owner_changes_the_rule_on_the_members_tab(org, owner):
    client = confirmed(owner)

    response = client.post(
        reverse("two-factor-rule", args=[org.pk]), {"two_factor_rule": "everyone"}
    )

    assert TWO_FACTOR_RULE_CHANGED.format(rule=TwoFactorRule.EVERYONE.label) in shown_after(
        client, response
    )
    assert rule_of(org) == "everyone"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "data", "status", "message"),
    [
        ("admin", {"two_factor_rule": "everyone"}, 302, ONLY_OWNERS_SET_TWO_FACTOR),
        ("owner", {"two_factor_rule": "sometimes"}, 302, TWO_FACTOR_RULE_INVALID),
        ("member", {"two_factor_rule": "everyone"}, 403, None),
    ],
)
def test_refusals_on_the_members_tab_change_nothing(
    request, org, owner, who, data, status, message
):
    client = confirmed(request.getfixturevalue(who))

    response = client.post(reverse("two-factor-rule", args=[org.pk]), data)

    assert response.status_code == status
    if message:
        assert shown_after(client, response) == [message]
    assert rule_of(org) == "off"


@pytest.mark.django_db
def test_changing_the_rule_asks_for_the_password_when_it_is_not_recent(org, owner):
    response = signed_in(owner).post(
        reverse("two-factor-rule", args=[org.pk]), {"two_factor_rule": "off"}
    )

    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert rule_of(org) == "off"


# The API -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_shows_the_rule_read_only(org, owner, member):
    services.organization_set_two_factor_rule(actor=owner, organization=org, rule="managers")

    detail = signed_in(member).get(f"/api/organizations/{org.pk}/")
    listing = signed_in(member).get("/api/organizations/")
    # (The member, whom the "managers" rule does not bind, reaches the method check.)
    patch = signed_in(member).patch(
        f"/api/organizations/{org.pk}/", {"two_factor_rule": "off"}, format="json"
    )

    assert detail.json()["two_factor_rule"] == "managers"
    assert listing.json()["results"][0]["two_factor_rule"] == "managers"
    assert patch.status_code == 405
    assert rule_of(org) == "managers"
