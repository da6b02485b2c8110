"""Invitations for operators: `manage.py invite`, `manage.py expire_invitations`, the admin."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditAction, AuditEvent
from organizations import emails, services
from organizations.admin.invitations import NOT_REVOKED, REVOKED
from organizations.management.commands import expire_invitations, invite
from organizations.models import Invitation, InvitationStatus, Role
from organizations.permissions import ONLY_OWNERS_GRANT_OWNER
from organizations.tokens import token_digest
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://portal\.example\.com/invitations/([A-Za-z0-9_-]{43})/")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.com"


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run(*args):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command(*args, stdout=out, stderr=StringIO())
        return out.getvalue()

    return run


# manage.py invite ----------------------------------------------------------------------


@pytest.mark.parametrize("by", ["id", "name"])
def test_an_operator_invites_the_first_owner_of_an_organization(run, org, by):
    target = str(org.pk) if by == "id" else org.name

    out = run("invite", "Boss@Example.com", "--organization", target, "--role", "owner")

    assert out.strip() == invite.SENT.format(
        email="boss@example.com", organization=org.name, role="owner"
    )
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.invited_by, invitation.by_operator) == ("owner", None, True)
    token = LINK.search(mail.outbox[0].body).group(1)
    assert token not in out  # the link only by email, unless asked for
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_CREATED)
    assert (event.actor, event.request_id) == (None, "manage.py:invite")


def test_print_link_also_prints_the_secret_link(run, org):
    out = run("invite", "boss@example.com", "--organization", str(org.pk), "--print-link")

    printed = LINK.fullmatch(out.strip().splitlines()[-1])
    assert printed is not None
    assert Invitation.objects.get().token_hash == token_digest(printed.group(1))
    assert "secret" in invite.Command().create_parser("manage.py", "invite").format_help()


@pytest.mark.parametrize(
    ("organization", "message"),
    [
        ("Nowhere Clinic", invite.ORGANIZATION_NOT_FOUND.format(value="Nowhere Clinic")),
        ("Twin", invite.ORGANIZATION_AMBIGUOUS.format(value="Twin")),
    ],
)
def test_invite_names_exactly_one_organization(run, organization, message):
    OrganizationFactory(name="Twin")
    OrganizationFactory(name="Twin")

    with pytest.raises(CommandError, match=re.escape(message)):
        run("invite", "boss@example.com", "--organization", organization)
    assert not Invitation.objects.exists()


def test_invite_refuses_a_member_and_a_bad_role(run, org, member):
    with pytest.raises(CommandError, match=re.escape(services.ALREADY_MEMBER)):
        run("invite", member.email, "--organization", str(org.pk))
    with pytest.raises(CommandError, match="invalid choice"):
        run("invite", "boss@example.com", "--organization", str(org.pk), "--role", "king")
    assert mail.outbox == []


def test_invite_without_site_url_says_to_set_it(run, org, settings):
    settings.SITE_URL = ""

    with pytest.raises(CommandError, match=re.escape(emails.SITE_URL_MISSING)):
        run("invite", "boss@example.com", "--organization", str(org.pk))
    assert not Invitation.objects.exists()


# manage.py expire_invitations ----------------------------------------------------------


def test_expire_invitations_marks_due_ones_and_says_how_many(run, org):
    run("invite", "due@example.com", "--organization", str(org.pk))
    run("invite", "fresh@example.com", "--organization", str(org.pk))
    Invitation.objects.filter(email="due@example.com").update(expires_at=timezone.now())

    out = run("expire_invitations")

    assert out.strip() == expire_invitations.EXPIRED.format(count=1)
    assert dict(Invitation.objects.values_list("email", "status")) == {
        "due@example.com": "expired",
        "fresh@example.com": "pending",
    }
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_EXPIRED)
    assert event.request_id == "manage.py:expire_invitations"


# The admin -----------------------------------------------------------------------------

INVITATIONS = reverse("admin:organizations_invitation_changelist")


@pytest.fixture
def pending(org, owner):
    return services.invitation_create(
        organization=org, actor=owner, acting_key=None, email="vet@example.com", role=Role.ADMIN
    )


def test_staff_list_invitations_and_never_see_a_digest(root_client, pending):
    listing = root_client.get(INVITATIONS)
    detail = root_client.get(reverse("admin:organizations_invitation_change", args=[pending.pk]))

    assert listing.status_code == detail.status_code == 200
    assert "vet@example.com" in listing.content.decode()
    for response in (listing, detail):
        assert pending.token_hash not in response.content.decode()
    assert root_client.get(f"{INVITATIONS}?token_hash__startswith=a").status_code == 400


def test_invitations_are_neither_added_nor_edited_nor_deleted_in_the_admin(root_client, pending):
    change = reverse("admin:organizations_invitation_change", args=[pending.pk])

    assert root_client.get(reverse("admin:organizations_invitation_add")).status_code == 403
    root_client.post(change, {"role": "owner", "email": "else@example.com"})
    delete = root_client.get(reverse("admin:organizations_invitation_delete", args=[pending.pk]))

    assert delete.status_code == 403
    pending.refresh_from_db()
    assert (pending.role, pending.email) == (Role.ADMIN, "vet@example.com")


def test_staff_revoke_through_the_service_and_it_is_audited(root_client, superuser, pending):
    response = root_client.post(
        INVITATIONS, {"action": "revoke", "_selected_action": [str(pending.pk)]}, follow=True
    )

    assert REVOKED.format(count=1) in response.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.revoked_by) == (InvitationStatus.REVOKED, superuser)
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_REVOKED)
    assert event.actor == superuser


def test_the_role_rules_hold_in_the_admin_too(client, org, owner, pending):
    # Staff act as admins: an invitation to be owner is an owner's to withdraw.
    to_owner = services.invitation_create(
        organization=org, actor=owner, acting_key=None, email="boss@example.com", role=Role.OWNER
    )
    staff = UserFactory(email="ops@example.com", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_invitation", "change_invitation"])
    )
    client.force_login(staff)

    response = client.post(
        INVITATIONS,
        {"action": "revoke", "_selected_action": [str(to_owner.pk), str(pending.pk)]},
        follow=True,
    )

    statuses = dict(Invitation.objects.values_list("email", "status"))
    assert statuses == {"boss@example.com": "pending", "vet@example.com": "revoked"}
    assert [str(m) for m in response.context["messages"]] == [
        NOT_REVOKED.format(email="boss@example.com", message=ONLY_OWNERS_GRANT_OWNER),
        REVOKED.format(count=1),
    ]
