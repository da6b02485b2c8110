"""The organization and user admin: the role rules hold, and nothing slips past them."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditAction, AuditEvent
from organizations.admin.users import EMAIL_TAKEN, LAST_OWNER_OF
from organizations.models import Membership, Organization, Role, User
from organizations.permissions import LAST_OWNER, ONLY_OWNERS_GRANT_OWNER
from tests.factories import APIKeyFactory, MembershipFactory, UserFactory

ORG_LIST = reverse("admin:organizations_organization_changelist")
ORG_ADD = reverse("admin:organizations_organization_add")
USER_ADD = reverse("admin:organizations_user_add")


def org_url(org, view="change"):
    return reverse(f"admin:organizations_organization_{view}", args=[org.pk])


def role_of(org, user):
    return Membership.objects.get(organization=org, user=user).role


def membership_form(org, rows, new=()):
    """POST data for the organization change form: `rows` edit existing memberships."""
    data = {
        "name": org.name,
        "slug": org.slug,
        "memberships-TOTAL_FORMS": str(len(rows) + len(new)),
        "memberships-INITIAL_FORMS": str(len(rows)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, (membership, role, delete) in enumerate(rows):
        data[f"memberships-{i}-id"] = str(membership.pk)
        data[f"memberships-{i}-organization"] = str(org.pk)
        data[f"memberships-{i}-user"] = str(membership.user_id)
        data[f"memberships-{i}-role"] = role
        if delete:
            data[f"memberships-{i}-DELETE"] = "on"
    for j, (user, role) in enumerate(new, start=len(rows)):
        data[f"memberships-{j}-organization"] = str(org.pk)
        data[f"memberships-{j}-user"] = str(user.pk)
        data[f"memberships-{j}-role"] = role
    return data


def memberships(org):
    return list(Membership.objects.filter(organization=org).select_related("user"))


def unchanged_rows(org, **changes):
    """Every membership as it is, except `changes`: {email: role or None for delete}."""
    rows = []
    for membership in memberships(org):
        change = changes.get(membership.user.email, membership.role)
        rows.append((membership, change or membership.role, change is None))
    return rows


# The list ------------------------------------------------------------------------------


def test_the_list_counts_each_organizations_keys_in_a_fixed_number_of_queries(
    root_client, django_assert_num_queries
):
    def organization_with_keys(count):
        membership = MembershipFactory(role=Role.OWNER)
        for _ in range(count):
            APIKeyFactory(organization=membership.organization, created_by=membership.user)
        return membership.organization

    first = organization_with_keys(2)
    root_client.get(ORG_LIST)
    with CaptureQueriesContext(connection) as few:
        root_client.get(ORG_LIST)
    for _ in range(12):
        organization_with_keys(3)

    with django_assert_num_queries(len(few.captured_queries)):
        response = root_client.get(ORG_LIST)

    rows = {org.pk: org for org in response.context["cl"].result_list}
    assert len(rows) == 13
    assert rows[first.pk]._key_count == 2
    assert {org._key_count for pk, org in rows.items() if pk != first.pk} == {3}


def test_adding_an_organization_goes_through_the_service_with_a_first_owner(root_client, owner):
    response = root_client.post(ORG_ADD, {"name": "New Clinic", "owner": str(owner.pk)})

    assert response.status_code == 302
    created = Organization.objects.get(name="New Clinic")
    assert created.slug == "new-clinic"
    assert role_of(created, owner) == Role.OWNER
    event = AuditEvent.objects.get(action=AuditAction.ORGANIZATION_CREATED)
    assert (event.organization, event.ip) == (created, "127.0.0.1")


# Memberships, through the services ------------------------------------------------------


def test_staff_change_a_members_role_through_the_service_and_it_is_audited(
    root_client, org, owner, member, superuser
):
    data = membership_form(org, unchanged_rows(org, **{member.email: Role.ADMIN}))

    response = root_client.post(org_url(org), data)

    assert response.status_code == 302
    assert role_of(org, member) == Role.ADMIN
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_ROLE_CHANGED)
    assert (event.actor, event.details["to"]) == (superuser, Role.ADMIN)


def test_staff_add_and_remove_members_through_the_services(root_client, org, owner, member):
    newcomer = UserFactory(email="new@example.com")
    rows = unchanged_rows(org, **{member.email: None})

    response = root_client.post(org_url(org), membership_form(org, rows, new=[(newcomer, "admin")]))

    assert response.status_code == 302
    assert role_of(org, newcomer) == Role.ADMIN
    assert not Membership.objects.filter(organization=org, user=member).exists()
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert sorted(actions) == sorted([AuditAction.MEMBER_ADDED, AuditAction.MEMBER_REMOVED])


def test_staff_who_are_not_owners_cannot_remove_or_demote_an_owner(root_client, org, owner):
    for change in (None, Role.MEMBER):
        data = membership_form(org, unchanged_rows(org, **{owner.email: change}))
        response = root_client.post(org_url(org), data)

        assert response.status_code == 200
        assert ONLY_OWNERS_GRANT_OWNER in response.content.decode()
        assert role_of(org, owner) == Role.OWNER
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("change", [None, Role.ADMIN], ids=["remove", "demote"])
def test_the_inline_cannot_leave_an_organization_without_an_owner(client, org, member, change):
    sole_owner = UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    MembershipFactory(organization=org, user=sole_owner, role=Role.OWNER)
    client.force_login(sole_owner)

    data = membership_form(org, unchanged_rows(org, **{sole_owner.email: change}))
    response = client.post(org_url(org), data)

    assert response.status_code == 200
    assert LAST_OWNER in response.content.decode()
    assert role_of(org, sole_owner) == Role.OWNER
    assert not AuditEvent.objects.exists()


def test_an_owner_can_hand_over_ownership_in_one_save(client, org, member):
    leaving = UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    MembershipFactory(organization=org, user=leaving, role=Role.OWNER)
    client.force_login(leaving)
    changes = {leaving.email: Role.ADMIN, member.email: Role.OWNER}

    response = client.post(org_url(org), membership_form(org, unchanged_rows(org, **changes)))

    assert response.status_code == 302
    assert (role_of(org, leaving), role_of(org, member)) == (Role.ADMIN, Role.OWNER)


def test_an_existing_membership_cannot_be_moved_to_another_user(root_client, org, member):
    (membership,) = memberships(org)
    data = membership_form(org, [(membership, Role.MEMBER, False)])
    data["memberships-0-user"] = str(UserFactory().pk)

    root_client.post(org_url(org), data)

    assert Membership.objects.get(pk=membership.pk).user == member


# Deleting never gets around the rules --------------------------------------------------


def test_deleting_the_last_owner_of_an_organization_is_refused(root_client, org, owner):
    response = root_client.post(
        reverse("admin:organizations_user_delete", args=[owner.pk]), {"post": "yes"}
    )

    assert LAST_OWNER_OF.format(email=owner.email, organization=org) in response.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()
    assert role_of(org, owner) == Role.OWNER


def test_deleting_all_owners_at_once_is_refused_too(root_client, org, owner):
    second = MembershipFactory(organization=org, role=Role.OWNER).user
    data = {"action": "delete_selected", "_selected_action": [owner.pk, second.pk], "post": "yes"}

    response = root_client.post(reverse("admin:organizations_user_changelist"), data)

    assert LAST_OWNER_OF.format(email=owner.email, organization=org) in response.content.decode()
    assert User.objects.filter(pk__in=[owner.pk, second.pk]).count() == 2


def test_deleting_an_organization_that_has_keys_is_refused(root_client, org, make_key):
    make_key()

    page = root_client.get(org_url(org, "delete")).content.decode()
    response = root_client.post(org_url(org, "delete"), {"post": "yes"})

    assert "Cannot delete organization" in page
    assert "API keys" in page
    assert response.status_code == 403
    assert Organization.objects.filter(pk=org.pk).exists()


# Users ---------------------------------------------------------------------------------


def test_staff_add_users_by_email_stored_lower_case_and_unique(root_client):
    data = {
        "email": "New.Person@Example.com",
        "full_name": "New Person",
        "usable_password": "true",
        "password1": "a long enough passphrase",
        "password2": "a long enough passphrase",
    }

    created = root_client.post(USER_ADD, data)
    again = root_client.post(USER_ADD, {**data, "email": "NEW.PERSON@example.com"})

    assert created.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password("a long enough passphrase")
    assert again.status_code == 200
    assert EMAIL_TAKEN in again.content.decode()
    assert User.objects.filter(email__iexact="new.person@example.com").count() == 1


def test_the_user_list_is_searchable_by_email(root_client, owner, member):
    response = root_client.get(reverse("admin:organizations_user_changelist"), {"q": "owner@"})

    assert [user.email for user in response.context["cl"].result_list] == [owner.email]
    assert [str(m) for m in get_messages(response.wsgi_request)] == []


def test_adding_someone_who_is_already_a_member_is_an_inline_error(root_client, org, member):
    data = membership_form(org, unchanged_rows(org), new=[(member, Role.ADMIN)])

    response = root_client.post(org_url(org), data)

    assert response.status_code == 200
    assert "Please correct the duplicate data for user." in response.content.decode()
    assert role_of(org, member) == Role.MEMBER
    assert not AuditEvent.objects.exists()
