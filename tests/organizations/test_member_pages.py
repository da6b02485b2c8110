"""The Members tab: everyone sees the members; owners and admins re-role and remove them.

Inviting people is in test_invitations_pages.py. Changing a role or removing someone needs
a recent re-authentication (`reauthenticated`); the last tests show what happens without.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apikeys.models import KeyStatus
from organizations import permissions
from organizations.models import Membership, Role
from organizations.services import ROLE_INVALID
from organizations.views import members as member_views
from tests.factories import PASSWORD, UserFactory
from tests.helpers import reauthenticated, signed_in

pytestmark = pytest.mark.django_db


def shown_after(client: Client, response) -> list[str]:
    """The messages the user reads on the page the response redirects to."""
    landing = client.get(response["Location"])
    return [str(m) for m in landing.context["messages"]]


def roles(org) -> dict[str, str]:
    return dict(Membership.objects.filter(organization=org).values_list("user__email", "role"))


def confirmed(user):
    """A client signed in as `user` who has just typed their password again."""
    return reauthenticated(signed_in(user), user)


def test_everyone_in_the_organization_sees_the_members_and_their_roles(owner, admin, member, org):
    response = signed_in(member).get(reverse("members", args=[org.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for email, role in [("owner@", "Owner"), ("admin@", "Admin"), ("member@", "Member")]:
        assert email in html and f'<span class="badge badge-role">{role}</span>' in html


def test_members_see_no_controls(owner, member, org):
    html = signed_in(member).get(reverse("members", args=[org.pk])).content.decode()
    assert reverse("invitation-create", args=[org.pk]) not in html
    assert reverse("member-remove", args=[org.pk, owner.pk]) not in html
    assert "Invite someone" not in html


def test_managers_see_the_invite_form_and_per_member_controls(owner, member, org):
    html = signed_in(owner).get(reverse("members", args=[org.pk])).content.decode()
    assert reverse("invitation-create", args=[org.pk]) in html
    assert reverse("member-role", args=[org.pk, member.pk]) in html
    assert reverse("member-remove", args=[org.pk, member.pk]) in html
    assert html.count('name="csrfmiddlewaretoken"') >= 3


def test_outsiders_get_404_for_the_members_tab_and_its_actions(outsider, owner, member, org):
    client = confirmed(outsider)
    assert client.get(reverse("members", args=[org.pk])).status_code == 404
    invite = {"email": "x@x.com", "role": "owner"}
    assert client.post(reverse("invitation-create", args=[org.pk]), invite).status_code == 404
    role = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "owner"})
    assert role.status_code == 404
    assert client.post(reverse("member-remove", args=[org.pk, owner.pk])).status_code == 404
    assert roles(org) == {
        "owner@example.com": "owner",
        "member@example.com": "member",
    }


def test_a_member_forging_member_changes_gets_403_and_nothing_changes(owner, member, org):
    newcomer = UserFactory(email="new@example.com")
    client = confirmed(member)
    before = roles(org)
    invite = {"email": newcomer.email, "role": "member"}
    assert client.post(reverse("invitation-create", args=[org.pk]), invite).status_code == 403
    change = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "owner"})
    assert change.status_code == 403
    assert client.post(reverse("member-remove", args=[org.pk, owner.pk])).status_code == 403
    assert roles(org) == before


def test_managers_change_a_members_role(owner, member, org):
    client = confirmed(owner)
    response = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "admin"})
    assert shown_after(client, response) == [
        member_views.MEMBER_ROLE_CHANGED.format(email="member@example.com", role="admin")
    ]
    assert roles(org)["member@example.com"] == Role.ADMIN


def test_admins_cannot_grant_the_owner_role(admin, member, org):
    client = confirmed(admin)
    response = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "owner"})
    assert shown_after(client, response) == [permissions.ONLY_OWNERS_GRANT_OWNER]
    assert roles(org)["member@example.com"] == Role.MEMBER


def test_the_last_owner_cannot_step_down(owner, org):
    client = confirmed(owner)
    response = client.post(reverse("member-role", args=[org.pk, owner.pk]), {"role": "admin"})
    assert shown_after(client, response) == [permissions.LAST_OWNER]
    assert roles(org)["owner@example.com"] == Role.OWNER


def test_an_invalid_role_is_an_error_message(owner, member, org):
    client = confirmed(owner)
    response = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "king"})
    assert shown_after(client, response) == [ROLE_INVALID]
    assert roles(org)["member@example.com"] == Role.MEMBER


def test_managers_remove_a_member(admin, member, org):
    client = confirmed(admin)
    response = client.post(reverse("member-remove", args=[org.pk, member.pk]))
    assert shown_after(client, response) == [
        member_views.MEMBER_REMOVED.format(email="member@example.com")
    ]
    assert "member@example.com" not in roles(org)


def test_admins_cannot_remove_an_owner(admin, owner, org):
    client = confirmed(admin)
    response = client.post(reverse("member-remove", args=[org.pk, owner.pk]))
    assert shown_after(client, response) == [permissions.ONLY_OWNERS_GRANT_OWNER]
    assert "owner@example.com" in roles(org)


def test_the_last_owner_cannot_be_removed(owner, org):
    client = confirmed(owner)
    response = client.post(reverse("member-remove", args=[org.pk, owner.pk]))
    assert shown_after(client, response) == [permissions.LAST_OWNER]
    assert "owner@example.com" in roles(org)


def test_an_admin_who_removes_themselves_lands_outside_the_organization(admin, owner, org):
    response = confirmed(admin).post(reverse("member-remove", args=[org.pk, admin.pk]))
    assert response["Location"] == reverse("integrations")
    assert "admin@example.com" not in roles(org)


def test_a_user_of_another_organization_is_a_404_in_this_one(owner, outsider, org, other_org):
    client = confirmed(owner)
    response = client.post(reverse("member-role", args=[org.pk, outsider.pk]), {"role": "member"})
    assert response.status_code == 404
    assert client.post(reverse("member-remove", args=[org.pk, outsider.pk])).status_code == 404
    assert roles(other_org) == {"outsider@example.com": "owner"}


def test_member_actions_refuse_get(owner, member, org):
    client = confirmed(owner)
    assert client.get(reverse("invitation-create", args=[org.pk])).status_code == 405
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
    client = confirmed(owner)

    client.post(reverse("member-remove", args=[org.pk, admin.pk]), {"transfer_to": ""})

    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and "admin@example.com" not in roles(org)


def test_removing_a_member_on_the_page_can_transfer_their_keys(owner, admin, member, org, make_key):
    key, _ = make_key(actor=admin)
    client = confirmed(owner)

    client.post(reverse("member-remove", args=[org.pk, admin.pk]), {"transfer_to": str(member.pk)})

    key.refresh_from_db()
    assert (key.status, key.created_by) == (KeyStatus.ACTIVE, member)
    assert "admin@example.com" not in roles(org)


def test_a_transfer_to_someone_outside_the_organization_is_refused(owner, admin, outsider, org):
    client = confirmed(owner)

    response = client.post(
        reverse("member-remove", args=[org.pk, admin.pk]), {"transfer_to": str(outsider.pk)}
    )

    assert response.status_code == 400
    assert "admin@example.com" in roles(org)


# Re-authentication ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data", "after"),
    [
        ("member-role", {"role": "admin"}, {"member@example.com": Role.ADMIN}),
        ("member-remove", {"transfer_to": ""}, {}),
    ],
    ids=["change role", "remove"],
)
def test_without_a_recent_password_the_change_waits_for_it_then_happens(
    owner, member, org, action, data, after
):
    client = signed_in(owner)  # signed in, but not just now
    response = client.post(reverse(action, args=[org.pk, member.pk]), data)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert roles(org)["member@example.com"] == Role.MEMBER

    # Typing the password again carries out the change it interrupted.
    client.post(response["Location"], {"password": PASSWORD})

    assert {email: role for email, role in roles(org).items() if email != owner.email} == after


def test_a_wrong_password_changes_nothing(owner, member, org):
    client = signed_in(owner)
    response = client.post(reverse("member-role", args=[org.pk, member.pk]), {"role": "owner"})

    again = client.post(response["Location"], {"password": "not the password"})

    assert again.status_code == 200  # the form again, with its error
    assert roles(org)["member@example.com"] == Role.MEMBER


def test_the_removal_page_itself_needs_no_password(owner, member, org):
    page = signed_in(owner).get(reverse("member-remove", args=[org.pk, member.pk]))

    assert page.status_code == 200
