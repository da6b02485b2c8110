"""The Members tab: everyone sees the members; owners and admins add, re-role and remove."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apikeys.models import KeyStatus
from core.models import AuditAction, AuditEvent
from organizations import forms, permissions, services
from organizations.models import Membership, Role
from organizations.views import members as member_views
from tests.factories import UserFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def shown_after(client: Client, response) -> list[str]:
    """The messages the user reads on the page the response redirects to."""
    landing = client.get(response["Location"])
    return [str(m) for m in landing.context["messages"]]


def roles(org) -> dict[str, str]:
    return dict(Membership.objects.filter(organization=org).values_list("user__email", "role"))


def test_everyone_in_the_organization_sees_the_members_and_their_roles(owner, admin, member, org):
    response = signed_in(member).get(reverse("members", args=[org.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for email, role in [("owner@", "Owner"), ("admin@", "Admin"), ("member@", "Member")]:
        assert email in html and f'<span class="badge badge-role">{role}</span>' in html


def test_members_see_no_controls(owner, member, org):
    html = signed_in(member).get(reverse("members", args=[org.pk])).content.decode()
    assert reverse("member-add", args=[org.pk]) not in html
    assert reverse("member-remove", args=[org.pk, owner.pk]) not in html
    assert "Add a member" not in html


def test_managers_see_the_add_form_and_per_member_controls(owner, member, org):
    html = signed_in(owner).get(reverse("members", args=[org.pk])).content.decode()
    assert reverse("member-add", args=[org.pk]) in html
    assert reverse("member-role", args=[org.pk, member.pk]) in html
    assert reverse("member-remove", args=[org.pk, member.pk]) in html
    assert html.count('name="csrfmiddlewaretoken"') >= 3


def test_outsiders_get_404_for_the_members_tab_and_its_actions(outsider, owner, member, org):
    client = signed_in(outsider)
    assert client.get(reverse("members", args=[org.pk])).status_code == 404
    add = client.post(reverse("member-add", args=[org.pk]), {"email": "x@x.com", "role": "owner"})
    assert add.status_code == 404
    role = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "owner"})
    assert role.status_code == 404
    assert client.post(reverse("member-remove", args=[org.pk, owner.pk])).status_code == 404
    assert roles(org) == {
        "owner@example.com": "owner",
        "member@example.com": "member",
    }


def test_a_member_forging_member_changes_gets_403_and_nothing_changes(owner, member, org):
    newcomer = UserFactory(email="new@example.com")
    client = signed_in(member)
    before = roles(org)
    add = {"email": newcomer.email, "role": "member"}
    assert client.post(reverse("member-add", args=[org.pk]), add).status_code == 403
    change = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "owner"})
    assert change.status_code == 403
    assert client.post(reverse("member-remove", args=[org.pk, owner.pk])).status_code == 403
    assert roles(org) == before


@pytest.mark.parametrize("who", ["owner", "admin", "staff"])
def test_managers_add_an_existing_user_by_email(request, org, who):
    UserFactory(email="vet@example.com")
    client = signed_in(request.getfixturevalue(who))
    response = client.post(
        reverse("member-add", args=[org.pk]), {"email": "VET@example.com", "role": "admin"}
    )
    assert response["Location"] == reverse("members", args=[org.pk])
    assert shown_after(client, response) == [
        member_views.MEMBER_ADDED.format(email="vet@example.com", role="admin")
    ]
    assert roles(org)["vet@example.com"] == Role.ADMIN
    assert AuditEvent.objects.filter(action=AuditAction.MEMBER_ADDED).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "nobody@example.com", "role": "member"}, services.USER_NOT_FOUND),
        ({"email": "admin@example.com", "role": "member"}, services.ALREADY_MEMBER),
        ({"email": "", "role": "member"}, forms.EMAIL_REQUIRED),
        ({"email": "not-an-email", "role": "member"}, forms.EMAIL_INVALID),
        ({"email": "vet@example.com", "role": "superuser"}, "Select a valid choice."),
    ],
)
def test_adding_shows_inline_errors_and_changes_nothing(owner, admin, org, data, message):
    UserFactory(email="vet@example.com")
    before = roles(org)
    response = signed_in(owner).post(reverse("member-add", args=[org.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert roles(org) == before


def test_only_owners_can_add_an_owner(admin, owner, org):
    UserFactory(email="vet@example.com")
    response = signed_in(admin).post(
        reverse("member-add", args=[org.pk]), {"email": "vet@example.com", "role": "owner"}
    )
    assert response.status_code == 400
    assert permissions.ONLY_OWNERS_GRANT_OWNER in response.content.decode()
    assert "vet@example.com" not in roles(org)


def test_managers_change_a_members_role(owner, member, org):
    client = signed_in(owner)
    response = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "admin"})
    assert shown_after(client, response) == [
        member_views.MEMBER_ROLE_CHANGED.format(email="member@example.com", role="admin")
    ]
    assert roles(org)["member@example.com"] == Role.ADMIN


def test_admins_cannot_grant_the_owner_role(admin, member, org):
    client = signed_in(admin)
    response = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "owner"})
    assert shown_after(client, response) == [permissions.ONLY_OWNERS_GRANT_OWNER]
    assert roles(org)["member@example.com"] == Role.MEMBER


def test_the_last_owner_cannot_step_down(owner, org):
    client = signed_in(owner)
    response = client.post(reverse("member-role", args=[org.pk, owner.pk]), {"role": "admin"})
    assert shown_after(client, response) == [permissions.LAST_OWNER]
    assert roles(org)["owner@example.com"] == Role.OWNER


def test_an_invalid_role_is_an_error_message(owner, member, org):
    client = signed_in(owner)
    response = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "king"})
    assert shown_after(client, response) == [services.ROLE_INVALID]
    assert roles(org)["member@example.com"] == Role.MEMBER


def test_managers_remove_a_member(admin, member, org):
    client = signed_in(admin)
    response = client.post(reverse("member-remove", args=[org.pk, member.pk]))
    assert shown_after(client, response) == [
        member_views.MEMBER_REMOVED.format(email="member@example.com")
    ]
    assert "member@example.com" not in roles(org)


def test_admins_cannot_remove_an_owner(admin, owner, org):
    client = signed_in(admin)
    response = client.post(reverse("member-remove", args=[org.pk, owner.pk]))
    assert shown_after(client, response) == [permissions.ONLY_OWNERS_GRANT_OWNER]
    assert "owner@example.com" in roles(org)


def test_the_last_owner_cannot_be_removed(owner, org):
    client = signed_in(owner)
    response = client.post(reverse("member-remove", args=[org.pk, owner.pk]))
    assert shown_after(client, response) == [permissions.LAST_OWNER]
    assert "owner@example.com" in roles(org)


def test_an_admin_who_removes_themselves_lands_outside_the_organization(admin, owner, org):
    response = signed_in(admin).post(reverse("member-remove", args=[org.pk, admin.pk]))
    assert response["Location"] == reverse("integrations")
    assert "admin@example.com" not in roles(org)


def test_a_user_of_another_organization_is_a_404_in_this_one(owner, outsider, org, other_org):
    client = signed_in(owner)
    response = client.post(reverse("member-role", args=[org.pk, outsider.pk]), {"role": "member"})
    assert response.status_code == 404
    assert client.post(reverse("member-remove", args=[org.pk, outsider.pk])).status_code == 404
    assert roles(other_org) == {"outsider@example.com": "owner"}


def test_member_actions_refuse_get(owner, member, org):
    client = signed_in(owner)
    assert client.get(reverse("member-add", args=[org.pk])).status_code == 405
    assert client.get(reverse("member-role", args=[org.pk, member.pk])).status_code == 405


def test_the_removal_page_asks_first_and_changes_nothing(owner, admin, org, make_key):
    key, _ = make_key(name="Lab sync", actor=admin)
    page = signed_in(owner).get(reverse("member-remove", args=[org.pk, admin.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Lab sync" in html and key.prefix in html
    assert "Transfer them to owner@example.com" in html and 'name="csrfmiddlewaretoken"' in html
    assert "admin@example.com" in roles(org)


def test_removing_a_member_on_the_page_revokes_their_keys(owner, admin, org, make_key):
    key, _ = make_key(actor=admin)
    client = signed_in(owner)

    client.post(reverse("member-remove", args=[org.pk, admin.pk]), {"transfer_to": ""})

    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and "admin@example.com" not in roles(org)


def test_removing_a_member_on_the_page_can_transfer_their_keys(owner, admin, member, org, make_key):
    key, _ = make_key(actor=admin)
    client = signed_in(owner)

    client.post(reverse("member-remove", args=[org.pk, admin.pk]), {"transfer_to": str(member.pk)})

    key.refresh_from_db()
    assert (key.status, key.created_by) == (KeyStatus.ACTIVE, member)
    assert "admin@example.com" not in roles(org)


def test_a_transfer_to_someone_outside_the_organization_is_refused(owner, admin, outsider, org):
    client = signed_in(owner)

    response = client.post(
        reverse("member-remove", args=[org.pk, admin.pk]), {"transfer_to": str(outsider.pk)}
    )

    assert response.status_code == 400
    assert "admin@example.com" in roles(org)
