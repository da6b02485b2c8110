"""Membership changes through organizations.services, with their audit events."""

import pytest

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.models import AuditAction, AuditEvent
from organizations import permissions as rules
from organizations import services
from organizations.models import Membership, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def role_of(user, org):
    return Membership.objects.get(user=user, organization=org).role


def test_create_organization_makes_the_creator_its_owner(owner):
    organization = services.organization_create(name="Riverside Vets", owner=owner)
    assert organization.slug == "riverside-vets"
    assert role_of(owner, organization) == Role.OWNER
    again = services.organization_create(name="Riverside Vets", owner=owner)
    assert again.slug == "riverside-vets-2"


def test_create_organization_needs_a_name(owner):
    with pytest.raises(InvalidInput, match=services.ORG_NAME_REQUIRED):
        services.organization_create(name="  ", owner=owner)


def test_an_admin_adds_an_existing_user_by_email(org, admin):
    newcomer = UserFactory(email="newcomer@example.com")
    services.member_add(
        organization=org, actor=admin, email="NewComer@Example.com", role="member", acting_key=None
    )
    assert role_of(newcomer, org) == Role.MEMBER
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_ADDED)
    assert event.details == {"user": "newcomer@example.com", "role": "member"}


def test_adding_refuses_unknown_users_duplicates_and_bad_roles(org, admin, member):
    with pytest.raises(InvalidInput, match=services.USER_NOT_FOUND):
        services.member_add(
            organization=org, actor=admin, email="ghost@example.com", role="member", acting_key=None
        )
    with pytest.raises(Conflict, match=services.ALREADY_MEMBER):
        services.member_add(
            organization=org, actor=admin, email=member.email, role="member", acting_key=None
        )
    with pytest.raises(InvalidInput, match=services.ROLE_INVALID):
        services.member_add(
            organization=org, actor=admin, email=member.email, role="root", acting_key=None
        )


def test_members_cannot_add_members(org, member):
    UserFactory(email="friend@example.com")
    with pytest.raises(Forbidden, match=rules.NOT_A_MANAGER):
        services.member_add(
            organization=org,
            actor=member,
            email="friend@example.com",
            role="member",
            acting_key=None,
        )


def test_only_owners_grant_the_owner_role(org, owner, admin, member):
    with pytest.raises(Forbidden, match=rules.ONLY_OWNERS_GRANT_OWNER):
        services.member_change_role(
            organization=org, actor=admin, user=member, role="owner", acting_key=None
        )
    services.member_change_role(
        organization=org, actor=owner, user=member, role="owner", acting_key=None
    )
    assert role_of(member, org) == Role.OWNER


def test_the_last_owner_can_neither_leave_nor_be_demoted(org, owner):
    with pytest.raises(Conflict, match=rules.LAST_OWNER):
        services.member_change_role(
            organization=org, actor=owner, user=owner, role="admin", acting_key=None
        )
    with pytest.raises(Conflict, match=rules.LAST_OWNER):
        services.member_remove(organization=org, actor=owner, user=owner, acting_key=None)
    assert role_of(owner, org) == Role.OWNER


def test_with_two_owners_one_may_step_down(org, owner, member):
    services.member_change_role(
        organization=org, actor=owner, user=member, role="owner", acting_key=None
    )
    services.member_change_role(
        organization=org, actor=owner, user=owner, role="admin", acting_key=None
    )
    assert role_of(owner, org) == Role.ADMIN


def test_staff_act_as_admins_but_not_owners(org, staff, member, owner):
    services.member_change_role(
        organization=org, actor=staff, user=member, role="admin", acting_key=None
    )
    with pytest.raises(Forbidden, match=rules.ONLY_OWNERS_GRANT_OWNER):
        services.member_change_role(
            organization=org, actor=staff, user=owner, role="member", acting_key=None
        )


def test_removing_a_member_is_audited(org, admin, member):
    services.member_remove(organization=org, actor=admin, user=member, acting_key=None)
    assert not Membership.objects.filter(user=member, organization=org).exists()
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_REMOVED)
    assert event.details == {"user": member.email, "role": "member"}


def test_changing_someone_who_is_not_a_member_is_not_found(org, admin, outsider):
    with pytest.raises(NotFound):
        services.member_remove(organization=org, actor=admin, user=outsider, acting_key=None)
