"""`/api/organizations/{id}/invitations/`: list, create, resend, revoke, under the role rules;
no answer ever carries an invitation's token."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone

from organizations import services
from organizations.api.invitations import INVITATION_NOT_FOUND, STATUS_INVALID
from organizations.api.permissions import MISSING_SCOPE
from organizations.models import Invitation, InvitationStatus, Membership
from organizations.permissions import (
    INVITATIONS_NOT_VISIBLE,
    KEYS_CANNOT_TOUCH_OWNERS,
    NOT_A_MANAGER,
)
from organizations.tokens import token_digest
from tests.helpers import invitation_by, signed_in

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"/invitations/([A-Za-z0-9_-]{43})/")


def url(org, invitation=None, action="") -> str:
    base = f"/api/organizations/{org.pk}/invitations/"
    return base if invitation is None else f"{base}{invitation.pk}/{action}"


@pytest.fixture
def call(django_capture_on_commit_callbacks):
    """Call the API, running what waits for the commit (the emails)."""

    def call(client, method, path, body=None):
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client, method)(path, body, format="json")

    return call


@pytest.fixture
def pending(org, owner):
    return invitation_by(owner, org, "pending@example.com", "admin")


def test_an_owner_invites_and_the_answer_describes_it_without_a_token(owner, org, call):
    response = call(
        signed_in(owner), "post", url(org), {"email": "Vet@Example.com", "role": "admin"}
    )

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("email", "role", "status")} == {
        "email": "vet@example.com",
        "role": "admin",
        "status": "pending",
    }
    assert body["invited_by"] == {"id": str(owner.pk), "email": owner.email}
    assert set(body) == {
        "id",
        "email",
        "role",
        "status",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    }
    token = TOKEN.search(mail.outbox[0].body).group(1)
    assert token not in response.content.decode()
    assert Invitation.objects.get().token_hash == token_digest(token)


def test_the_role_defaults_to_member_and_the_path_works_without_its_slash(owner, org, call):
    response = call(signed_in(owner), "post", url(org).rstrip("/"), {"email": "vet@example.com"})

    assert (response.status_code, response.json()["role"]) == (201, "member")


@pytest.mark.parametrize(
    ("payload", "status", "field", "message"),
    [
        ({"email": "vet@example.com", "role": "boss"}, 400, "role", services.ROLE_INVALID),
        ({"email": "not an email"}, 400, "email", None),
        ({}, 400, "email", None),
        ({"email": "vet@example.com", "expiresAt": "2030-01-01"}, 400, "expiresAt", None),
        ({"email": "member@example.com"}, 409, None, services.ALREADY_MEMBER),
        ({"email": "pending@example.com"}, 409, None, services.ALREADY_INVITED),
    ],
)
def test_inviting_refuses_bad_input_clearly(
    owner, member, org, pending, call, payload, status, field, message
):
    response = call(signed_in(owner), "post", url(org), payload)

    assert response.status_code == status
    body = response.json()
    assert body["detail"]
    if field:
        assert field in body
    if message:
        assert message in body["detail"]
    assert Invitation.objects.count() == 1 and mail.outbox == []


def test_members_can_neither_invite_nor_list(member, org, pending, call):
    client = signed_in(member)

    invite = call(client, "post", url(org), {"email": "vet@example.com"})
    listing = client.get(url(org))

    assert (invite.status_code, invite.json()) == (403, {"detail": NOT_A_MANAGER})
    assert (listing.status_code, listing.json()) == (403, {"detail": INVITATIONS_NOT_VISIBLE})
    assert "pending@example.com" not in listing.content.decode()


def test_managers_list_invitations_with_their_status_as_users_see_it(admin, org, pending):
    due = invitation_by(admin, org, "due@example.com")
    Invitation.objects.filter(pk=due.pk).update(expires_at=timezone.now())
    client = signed_in(admin)

    everything = client.get(url(org)).json()
    expired = client.get(url(org) + "?status=expired").json()
    bad = client.get(url(org) + "?status=lost")

    statuses = {i["email"]: i["status"] for i in everything["results"]}
    assert statuses == {"due@example.com": "expired", "pending@example.com": "pending"}
    assert [i["email"] for i in expired["results"]] == ["due@example.com"]
    assert (bad.status_code, bad.json()["status"]) == (400, [STATUS_INVALID])


def test_resending_gives_a_new_link_and_revoking_withdraws_it(owner, org, pending, call):
    client = signed_in(owner)

    resent = call(client, "post", url(org, pending, "resend/"))
    revoked = call(client, "delete", url(org, pending))
    again = call(client, "delete", url(org, pending).rstrip("/"))

    assert resent.status_code == 200 and resent.json()["status"] == "pending"
    assert (
        len(mail.outbox) == 1
        and TOKEN.search(mail.outbox[0].body).group(1) not in resent.content.decode()
    )
    assert revoked.status_code == 204
    assert (again.status_code, again.json()) == (409, {"detail": services.NOT_PENDING})
    pending.refresh_from_db()
    assert pending.status == InvitationStatus.REVOKED
    assert signed_in(owner).get(url(org, pending)).json()["status"] == "revoked"


def test_resend_takes_no_body(owner, org, pending, call):
    response = call(signed_in(owner), "post", url(org, pending, "resend/"), {"role": "owner"})

    assert response.status_code == 400 and "role" in response.json()
    assert mail.outbox == []


def test_another_organizations_invitations_are_404s(owner, org, other_org, outsider, call):
    foreign = invitation_by(outsider, other_org)
    client = signed_in(owner)

    assert client.get(url(other_org)).status_code == 404
    for method, path in (
        ("get", url(org, foreign)),
        ("post", url(org, foreign, "resend/")),
        ("delete", url(org, foreign)),
    ):
        response = call(client, method, path)
        assert (response.status_code, response.json()) == (404, {"detail": INVITATION_NOT_FOUND})
    foreign.refresh_from_db()
    assert foreign.status == InvitationStatus.PENDING


def test_a_members_manage_key_invites_but_never_an_owner(key_client, org, call):
    client = key_client(scopes=["members:manage"])

    admin = call(client, "post", url(org), {"email": "vet@example.com", "role": "admin"})
    owner = call(client, "post", url(org), {"email": "boss@example.com", "role": "owner"})

    assert admin.status_code == 201
    assert (owner.status_code, owner.json()) == (403, {"detail": KEYS_CANNOT_TOUCH_OWNERS})


def test_a_key_without_members_manage_sees_no_invitations(key_client, org, pending):
    client = key_client(scopes=["api_keys:manage", "organization:read"])

    response = client.get(url(org))

    assert (response.status_code, response.json()) == (
        403,
        {"detail": MISSING_SCOPE.format(scope="members:manage")},
    )


def test_inviting_over_the_api_makes_no_one_a_member(owner, org, call):
    call(signed_in(owner), "post", url(org), {"email": "member-to-be@example.com"})

    assert not Membership.objects.filter(user__email="member-to-be@example.com").exists()
