"""The role rules, in the one module every interface asks."""

import pytest

from core.errors import Conflict, Forbidden
from organizations import permissions as rules
from organizations.models import Role

pytestmark = pytest.mark.django_db

OWN, ADM, MEM = Role.OWNER, Role.ADMIN, Role.MEMBER


def test_roles_in_the_organization(org, owner, admin, member, staff, outsider):
    assert [rules.role_in(u, org) for u in (owner, admin, member, staff, outsider)] == [
        OWN,
        ADM,
        MEM,
        ADM,
        None,
    ]


def test_who_reads_and_who_manages(org, owner, admin, member, staff, outsider):
    assert [rules.can_view(u, org) for u in (owner, admin, member, staff, outsider)] == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert [rules.can_manage(u, org) for u in (owner, admin, member, staff, outsider)] == [
        True,
        True,
        False,
        True,
        False,
    ]


def test_a_staff_member_of_an_organization_keeps_at_least_admin(org, member):
    member.is_staff = True
    assert rules.role_in(member, org) == ADM


def test_a_deactivated_user_has_no_role(org, owner):
    owner.is_active = False
    assert rules.role_in(owner, org) is None


def test_anonymous_users_have_no_role(org):
    from django.contrib.auth.models import AnonymousUser

    assert rules.role_in(AnonymousUser(), org) is None


@pytest.mark.parametrize(
    ("actor", "current", "new", "owners", "error"),
    [
        (MEM, None, MEM, 1, rules.NOT_A_MANAGER),  # members only read
        (None, None, MEM, 1, rules.NOT_A_MANAGER),
        (ADM, None, OWN, 1, rules.ONLY_OWNERS_GRANT_OWNER),  # admins cannot grant owner
        (ADM, OWN, MEM, 2, rules.ONLY_OWNERS_GRANT_OWNER),  # nor demote an owner
        (ADM, OWN, None, 2, rules.ONLY_OWNERS_GRANT_OWNER),  # nor remove one
        (OWN, OWN, ADM, 1, rules.LAST_OWNER),  # the last owner stays
        (OWN, OWN, None, 1, rules.LAST_OWNER),
    ],
)
def test_refused_membership_changes(actor, current, new, owners, error):
    with pytest.raises((Forbidden, Conflict)) as raised:
        rules.check_membership_change(
            actor_role=actor, current=current, new=new, owner_count=owners
        )
    assert raised.value.message == error


@pytest.mark.parametrize(
    ("actor", "current", "new", "owners"),
    [
        (ADM, None, MEM, 1),
        (ADM, None, ADM, 1),
        (ADM, MEM, ADM, 1),
        (ADM, ADM, None, 1),
        (OWN, None, OWN, 1),
        (OWN, OWN, ADM, 2),
        (OWN, OWN, None, 2),
        (OWN, MEM, OWN, 1),
    ],
)
def test_allowed_membership_changes(actor, current, new, owners):
    rules.check_membership_change(actor_role=actor, current=current, new=new, owner_count=owners)


def test_the_queryset_form_of_the_rules_agrees_with_the_role_function(
    org, other_org, owner, admin, member, staff, outsider
):
    from organizations.models import Organization

    def readable(user):
        return set(Organization.objects.filter(rules.organizations_filter(user)))

    def managed(user):
        return set(Organization.objects.filter(rules.organizations_filter(user, manage=True)))

    assert readable(member) == {org} and managed(member) == set()
    assert readable(admin) == managed(admin) == {org}
    assert readable(staff) == managed(staff) == {org, other_org}
    assert readable(outsider) == managed(outsider) == {other_org}
    for user in (owner, admin, member, staff, outsider):
        for organization in (org, other_org):
            assert (organization in readable(user)) == rules.can_view(user, organization)
            assert (organization in managed(user)) == rules.can_manage(user, organization)
    owner.is_active = False
    assert readable(owner) == set()
