"""Invitations through organizations.services: who may invite whom, the single-use link,
acceptance by the invited address only, expiry, and an audit event for every step."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.models import AuditAction, AuditEvent
from organizations import emails, services
from organizations.models import Invitation, InvitationStatus, Membership, Role
from organizations.permissions import (
    KEYS_CANNOT_TOUCH_OWNERS,
    MISSING_SCOPE,
    NOT_A_MANAGER,
    ONLY_OWNERS_GRANT_OWNER,
)
from organizations.tokens import token_digest
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
LINK = re.compile(r"/invitations/([A-Za-z0-9_-]{43})/")


@pytest.fixture
def invite(org, owner, django_capture_on_commit_callbacks):
    """Invite through the service as `actor` (the owner), sending the email; returns
    `(invitation, token)` with the token read from the email, as the invitee would."""

    def invite(email="new@example.com", role=Role.MEMBER, actor=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invitation_create(
                organization=kwargs.pop("organization", org),
                actor=actor or owner,
                acting_key=kwargs.pop("acting_key", None),
                email=email,
                role=role,
                site_url=SITE,
                **kwargs,
            )
        return invitation, token_in(mail.outbox[-1])

    return invite


def token_in(message) -> str:
    return LINK.search(message.body).group(1)


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("created_at"))


def accept(user, token):
    return services.invitation_accept(user=user, token=token)


# Inviting ------------------------------------------------------------------------------


def test_an_invitation_is_emailed_with_its_link_and_only_the_links_digest_is_stored(
    invite, org, owner
):
    invitation, token = invite("  New.Person@EXAMPLE.com ", Role.ADMIN)

    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert message.subject == emails.INVITATION_SUBJECT.format(organization=org.name)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f"{SITE}/invitations/{token}/" in html
    assert "as admin" in message.body and org.name in message.body
    assert invitation.email == "new.person@example.com"
    assert invitation.token_hash == token_digest(token) != token
    assert not Invitation.objects.filter(token_hash__contains=token).exists()
    assert invitation.invited_by == owner
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)


def test_inviting_is_audited_without_the_token(invite, owner):
    invitation, token = invite(role=Role.ADMIN)

    [event] = events(AuditAction.INVITATION_CREATED)
    assert (event.actor, event.organization) == (owner, invitation.organization)
    assert event.details == {"email": "new@example.com", "role": "admin"}
    assert token not in str(event.details)


def test_nothing_is_emailed_when_the_transaction_rolls_back(org, owner):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.invitation_create(
            organization=org,
            actor=owner,
            acting_key=None,
            email="new@example.com",
            role=Role.MEMBER,
            site_url=SITE,
        )
        raise RuntimeError

    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(invite):
    UserFactory(email="known@example.com")

    known, _ = invite("known@example.com")
    unknown, _ = invite("unknown@example.com")

    assert (known.status, unknown.status) == (InvitationStatus.PENDING,) * 2
    assert not Membership.objects.filter(user__email="known@example.com").exists()
    # The two emails differ in their links only.
    assert LINK.sub("", mail.outbox[0].body) == LINK.sub("", mail.outbox[1].body)


@pytest.mark.parametrize(
    ("who", "role", "error", "message"),
    [
        ("admin", Role.OWNER, Forbidden, ONLY_OWNERS_GRANT_OWNER),
        ("member", Role.MEMBER, Forbidden, NOT_A_MANAGER),
        ("outsider", Role.MEMBER, Forbidden, NOT_A_MANAGER),
    ],
)
def test_the_role_rules_decide_who_may_invite_whom(request, org, who, role, error, message):
    with pytest.raises(error, match=re.escape(message)):
        services.invitation_create(
            organization=org,
            actor=request.getfixturevalue(who),
            acting_key=None,
            email="new@example.com",
            role=role,
            site_url=SITE,
        )

    assert not Invitation.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["owner", "admin", "staff"])
def test_owners_admins_and_staff_invite_admins_and_members(request, invite, who):
    invitation, _ = invite(role=Role.ADMIN, actor=request.getfixturevalue(who))

    assert invitation.role == Role.ADMIN


def test_only_owners_invite_owners(invite, owner):
    invitation, _ = invite(role=Role.OWNER, actor=owner)

    assert invitation.role == Role.OWNER


def test_a_key_needs_members_manage_and_never_invites_an_owner(org, make_key):
    plain, _ = make_key(scopes=["api_keys:manage"])
    members, _ = make_key(scopes=["members:manage"])
    common = {"organization": org, "email": "new@example.com", "site_url": SITE}

    with pytest.raises(Forbidden, match=re.escape(MISSING_SCOPE.format(scope="members:manage"))):
        services.invitation_create(
            actor=plain.created_by, acting_key=plain, role=Role.MEMBER, **common
        )
    with pytest.raises(Forbidden, match=re.escape(KEYS_CANNOT_TOUCH_OWNERS)):
        services.invitation_create(
            actor=members.created_by, acting_key=members, role=Role.OWNER, **common
        )
    invitation = services.invitation_create(
        actor=members.created_by, acting_key=members, role=Role.ADMIN, **common
    )

    assert events(AuditAction.INVITATION_CREATED)[0].actor_key == members
    assert invitation.role == Role.ADMIN


@pytest.mark.parametrize(
    ("email", "role", "error", "message"),
    [
        ("member@example.com", Role.ADMIN, Conflict, services.ALREADY_MEMBER),
        ("MEMBER@Example.com", Role.ADMIN, Conflict, services.ALREADY_MEMBER),
        ("not an address", Role.MEMBER, InvalidInput, services.EMAIL_INVALID),
        ("new@example.com", "root", InvalidInput, services.ROLE_INVALID),
    ],
)
def test_inviting_refuses_members_bad_addresses_and_roles(
    org, owner, member, email, role, error, message
):
    with pytest.raises(error, match=re.escape(message)):
        services.invitation_create(
            organization=org, actor=owner, acting_key=None, email=email, role=role, site_url=SITE
        )

    assert not Invitation.objects.exists()


def test_an_address_has_one_pending_invitation_at_a_time(invite):
    invite("new@example.com")

    with pytest.raises(Conflict, match=re.escape(services.ALREADY_INVITED)):
        invite("New@example.com")
    assert Invitation.objects.count() == 1


def test_the_database_refuses_a_second_pending_invitation(invite, org):
    first, _ = invite("new@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(organization=org, email=first.email, token_hash="x" * 64)


def test_a_past_due_invitation_is_marked_expired_when_the_address_is_invited_again(invite):
    old, _ = invite("new@example.com")
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now())

    new, _ = invite("new@example.com")

    old.refresh_from_db()
    assert (old.status, new.status) == (InvitationStatus.EXPIRED, InvitationStatus.PENDING)
    assert [e.details["email"] for e in events(AuditAction.INVITATION_EXPIRED)] == [old.email]


def test_without_site_url_or_a_request_no_invitation_is_made(org, owner, settings):
    settings.SITE_URL = ""

    with pytest.raises(InvalidInput, match=re.escape(emails.SITE_URL_MISSING)):
        services.invitation_create(
            organization=org, actor=owner, acting_key=None, email="new@example.com", role="member"
        )
    assert not Invitation.objects.exists()


def test_site_url_wins_over_the_requests_host(invite, settings):
    settings.SITE_URL = "https://portal.example.com"

    invite()

    assert "https://portal.example.com/invitations/" in mail.outbox[0].body
    assert "testserver" not in mail.outbox[0].body


# Resending and revoking ------------------------------------------------------------------


def test_resending_mails_a_new_link_and_the_old_one_dies(
    invite, owner, django_capture_on_commit_callbacks
):
    invitation, old_token = invite()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        resent = services.invitation_resend(
            invitation=invitation, actor=owner, acting_key=None, site_url=SITE
        )

    new_token = token_in(mail.outbox[-1])
    assert len(mail.outbox) == 2 and new_token != old_token
    assert resent.expires_at > timezone.now() + timedelta(days=6)
    assert events(AuditAction.INVITATION_RESENT)[0].details == {
        "email": "new@example.com",
        "role": "member",
    }
    newcomer = UserFactory(email="new@example.com")
    with pytest.raises(NotFound):
        accept(newcomer, old_token)
    assert accept(newcomer, new_token).role == Role.MEMBER


def test_revoking_kills_the_link(invite, admin):
    invitation, token = invite(actor=admin)

    services.invitation_revoke(invitation=invitation, actor=admin, acting_key=None)

    invitation.refresh_from_db()
    assert (invitation.status, invitation.revoked_by) == (InvitationStatus.REVOKED, admin)
    assert invitation.revoked_at is not None
    assert len(events(AuditAction.INVITATION_REVOKED)) == 1
    with pytest.raises(NotFound, match=re.escape(services.INVITATION_INVALID)):
        accept(UserFactory(email="new@example.com"), token)


def test_only_owners_withdraw_an_invitation_to_be_owner(invite, owner, admin):
    invitation, _ = invite(role=Role.OWNER, actor=owner)

    with pytest.raises(Forbidden, match=re.escape(ONLY_OWNERS_GRANT_OWNER)):
        services.invitation_revoke(invitation=invitation, actor=admin, acting_key=None)
    with pytest.raises(Forbidden, match=re.escape(ONLY_OWNERS_GRANT_OWNER)):
        services.invitation_resend(
            invitation=invitation, actor=admin, acting_key=None, site_url=SITE
        )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_an_answered_invitation_can_be_neither_resent_nor_revoked(invite, owner):
    invitation, _ = invite()
    services.invitation_revoke(invitation=invitation, actor=owner, acting_key=None)

    with pytest.raises(Conflict, match=re.escape(services.NOT_PENDING)):
        services.invitation_revoke(invitation=invitation, actor=owner, acting_key=None)
    with pytest.raises(Conflict, match=re.escape(services.NOT_PENDING)):
        services.invitation_resend(
            invitation=invitation, actor=owner, acting_key=None, site_url=SITE
        )


# Accepting -----------------------------------------------------------------------------


def test_accepting_makes_the_invitee_a_member_once(invite, org):
    invitation, token = invite("new@example.com", Role.ADMIN)
    newcomer = UserFactory(email="new@example.com")

    membership = accept(newcomer, token)

    assert (membership.user, membership.organization, membership.role) == (newcomer, org, "admin")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == (InvitationStatus.ACCEPTED, newcomer)
    assert invitation.accepted_at is not None
    [accepted] = events(AuditAction.INVITATION_ACCEPTED)
    [added] = events(AuditAction.MEMBER_ADDED)
    assert (accepted.actor, added.actor) == (newcomer, newcomer)
    assert added.details == {"user": "new@example.com", "role": "admin"}
    with pytest.raises(NotFound, match=re.escape(services.INVITATION_INVALID)):
        accept(newcomer, token)  # single use
    assert Membership.objects.filter(user=newcomer).count() == 1


def test_the_address_is_compared_in_its_normalized_spelling(invite):
    _, token = invite("\uff2e\uff25\uff37@example.com")  # fullwidth N, E, W
    newcomer = UserFactory(email="new@example.com")

    assert accept(newcomer, token).user == newcomer


def test_someone_signed_in_with_another_address_cannot_accept(invite, member):
    invitation, token = invite("new@example.com")

    with pytest.raises(Forbidden, match=re.escape(services.OTHER_EMAIL)):
        accept(member, token)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.filter(user=member, role=Role.ADMIN).exists()


def test_an_unverified_address_cannot_accept_until_verified(invite):
    _, token = invite("new@example.com")
    newcomer = UserFactory(email="new@example.com", verified_email=False)

    with pytest.raises(Forbidden, match=re.escape(services.EMAIL_UNVERIFIED)):
        accept(newcomer, token)
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "../" * 15, "ä" * 43])
def test_a_token_that_opens_nothing_is_not_found(invite, token):
    invite()

    with pytest.raises(NotFound, match=re.escape(services.INVITATION_INVALID)):
        accept(UserFactory(email="new@example.com"), token)


def test_an_expired_invitation_is_refused_and_marked_expired(invite):
    invitation, token = invite()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    newcomer = UserFactory(email="new@example.com")

    with pytest.raises(NotFound, match=re.escape(services.INVITATION_INVALID)):
        accept(newcomer, token)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED
    assert len(events(AuditAction.INVITATION_EXPIRED)) == 1
    assert not Membership.objects.filter(user=newcomer).exists()


def test_an_inviter_demoted_since_can_no_longer_bring_people_in(invite, org, owner):
    inviter = MembershipFactory(organization=org, role=Role.ADMIN).user
    _, token = invite(role=Role.ADMIN, actor=inviter)
    services.member_change_role(
        organization=org, actor=owner, acting_key=None, user=inviter, role=Role.MEMBER
    )

    with pytest.raises(Forbidden, match=re.escape(services.INVITER_CANNOT_GRANT)):
        accept(UserFactory(email="new@example.com"), token)
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_an_operators_invitation_needs_no_inviter(invite, org):
    invitation, token = invite(role=Role.OWNER, actor=services.OPERATOR)

    membership = accept(UserFactory(email="new@example.com"), token)

    assert (invitation.invited_by, invitation.by_operator) == (None, True)
    assert membership.role == Role.OWNER
    assert events(AuditAction.INVITATION_CREATED)[0].actor is None


def test_an_existing_member_cannot_take_a_second_membership(invite, org, owner):
    _, token = invite("new@example.com")
    newcomer = UserFactory(email="new@example.com")
    MembershipFactory(organization=org, user=newcomer, role=Role.MEMBER)

    with pytest.raises(Conflict, match=re.escape(services.ALREADY_MEMBER)):
        accept(newcomer, token)


# Expiring ------------------------------------------------------------------------------


def test_the_sweep_marks_only_due_invitations_expired(invite, other_org, outsider):
    due, _ = invite("due@example.com")
    invite("fresh@example.com")
    elsewhere, _ = invite("away@example.com", actor=outsider, organization=other_org)
    Invitation.objects.filter(pk__in=[due.pk, elsewhere.pk]).update(expires_at=timezone.now())

    assert services.invitations_expire() == 2
    assert services.invitations_expire() == 0

    statuses = dict(Invitation.objects.values_list("email", "status"))
    assert statuses == {
        "due@example.com": "expired",
        "fresh@example.com": "pending",
        "away@example.com": "expired",
    }
    by_org = {e.organization_id for e in events(AuditAction.INVITATION_EXPIRED)}
    assert by_org == {due.organization_id, other_org.pk}
