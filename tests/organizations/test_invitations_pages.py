"""Invitations in the pages: the Members tab invites, lists, resends and withdraws; the
emailed link's page lets the invited address accept, and tells everyone else nothing."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import AuditAction, AuditEvent
from organizations import forms, permissions, services
from organizations.models import Invitation, InvitationStatus, Membership, Role
from organizations.selectors import INVITATION_SESSION_KEY
from organizations.views import invitations as views
from tests.factories import UserFactory
from tests.helpers import invitation_by, signed_in

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/invitations/[A-Za-z0-9_-]{43}/)")


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """POST through a client, running what waits for the commit (the emails)."""

    def post(client, url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return post


@pytest.fixture
def send_invitation(org, post):
    """Send the Members tab's invite form through `client`; returns the response."""

    def send_invitation(client, email, role=Role.MEMBER):
        return post(
            client, reverse("invitation-create", args=[org.pk]), {"email": email, "role": role}
        )

    return send_invitation


@pytest.fixture
def invited(owner, send_invitation):
    """An invitation the owner sent from the Members tab; returns `(invitation, link path)`."""

    def invited(email="new@example.com", role=Role.MEMBER):
        send_invitation(signed_in(owner), email, role)
        return Invitation.objects.get(email=email, status="pending"), link_in(mail.outbox[-1])

    return invited


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def shown_after(client, response) -> list[str]:
    landing = client.get(response["Location"])
    return [str(m) for m in landing.context["messages"]]


# The Members tab -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "admin", "staff"])
def test_managers_invite_an_address_from_the_members_tab(request, org, send_invitation, who):
    client = signed_in(request.getfixturevalue(who))

    response = send_invitation(client, "Vet@Example.com", "admin")

    assert response["Location"] == reverse("members", args=[org.pk])
    assert shown_after(client, response) == [
        views.INVITATION_SENT.format(email="vet@example.com", role="admin", days=7)
    ]
    assert [m.to for m in mail.outbox] == [["vet@example.com"]]
    assert Invitation.objects.get().role == Role.ADMIN
    assert not Membership.objects.filter(user__email="vet@example.com").exists()


def test_the_answer_is_the_same_for_an_address_with_an_account(owner, send_invitation):
    UserFactory(email="known@example.com")
    client = signed_in(owner)

    answers = [
        shown_after(client, send_invitation(client, email))[0]
        for email in ("known@example.com", "unknown@example.com")
    ]

    assert answers[0].replace("known@", "unknown@") == answers[1]
    assert "sign up" not in answers[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "admin@example.com", "role": "member"}, services.ALREADY_MEMBER),
        ({"email": "", "role": "member"}, forms.EMAIL_REQUIRED),
        ({"email": "not-an-email", "role": "member"}, forms.EMAIL_INVALID),
        ({"email": "vet@example.com", "role": "superuser"}, "Select a valid choice."),
    ],
)
def test_inviting_shows_inline_errors_and_sends_nothing(
    owner, admin, send_invitation, data, message
):
    response = send_invitation(signed_in(owner), **data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists() and mail.outbox == []


def test_admins_cannot_invite_an_owner(admin, owner, send_invitation):
    response = send_invitation(signed_in(admin), "vet@example.com", "owner")

    assert response.status_code == 400
    assert permissions.ONLY_OWNERS_GRANT_OWNER in response.content.decode()
    assert not Invitation.objects.exists()


def test_inviting_a_pending_address_again_says_to_resend(owner, invited, send_invitation):
    invited("vet@example.com")

    response = send_invitation(signed_in(owner), "vet@example.com")

    assert response.status_code == 400
    assert services.ALREADY_INVITED in response.content.decode()


def test_managers_see_pending_invitations_with_resend_and_revoke_forms(owner, org, invited):
    invitation, _ = invited("vet@example.com", Role.ADMIN)

    html = signed_in(owner).get(reverse("members", args=[org.pk])).content.decode()

    assert 'data-invitation="vet@example.com"' in html
    assert reverse("invitation-resend", args=[org.pk, invitation.pk]) in html
    assert reverse("invitation-revoke", args=[org.pk, invitation.pk]) in html
    assert "sign up first" not in html


def test_members_see_neither_invitations_nor_the_invite_form(member, org, invited):
    invited("vet@example.com")

    html = signed_in(member).get(reverse("members", args=[org.pk])).content.decode()

    assert "vet@example.com" not in html
    assert reverse("invitation-create", args=[org.pk]) not in html


def test_resending_from_the_tab_mails_a_new_link(owner, org, invited, post):
    invitation, first_link = invited("vet@example.com")
    client = signed_in(owner)

    response = post(client, reverse("invitation-resend", args=[org.pk, invitation.pk]))

    assert shown_after(client, response) == [
        views.INVITATION_RESENT.format(email="vet@example.com")
    ]
    assert len(mail.outbox) == 2 and link_in(mail.outbox[1]) != first_link


def test_revoking_from_the_tab_removes_it_from_the_list(owner, org, invited, post):
    invitation, _ = invited("vet@example.com")
    client = signed_in(owner)

    response = post(client, reverse("invitation-revoke", args=[org.pk, invitation.pk]))

    assert shown_after(client, response) == [
        views.INVITATION_REVOKED.format(email="vet@example.com")
    ]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    html = client.get(reverse("members", args=[org.pk])).content.decode()
    assert 'data-invitation="vet@example.com"' not in html


def test_another_organizations_invitation_is_a_404_and_stays(owner, org, outsider, other_org, post):
    foreign = invitation_by(outsider, other_org)
    client = signed_in(owner)

    for name in ("invitation-resend", "invitation-revoke"):
        assert post(client, reverse(name, args=[org.pk, foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == InvitationStatus.PENDING


def test_members_and_outsiders_cannot_touch_invitations(member, outsider, org, invited, post):
    invitation, _ = invited("vet@example.com")

    for user, status in ((member, 403), (outsider, 404)):
        for name in ("invitation-resend", "invitation-revoke"):
            url = reverse(name, args=[org.pk, invitation.pk])
            assert post(signed_in(user), url).status_code == status
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING and len(mail.outbox) == 1


def test_invitation_actions_refuse_get(owner, org, invited):
    invitation, _ = invited()
    client = signed_in(owner)

    for name in ("invitation-resend", "invitation-revoke"):
        assert client.get(reverse(name, args=[org.pk, invitation.pk])).status_code == 405


# The link's page -----------------------------------------------------------------------


def test_a_visitor_is_told_to_sign_in_or_up_with_the_invited_address(client, org, invited):
    invitation, link = invited("vet@example.com", Role.ADMIN)

    response = client.get(link)

    html = response.content.decode()
    assert response.status_code == 200
    assert org.name in html and "vet@example.com" in html and "as admin" in html
    assert f'href="{reverse("account_login")}?next={link.replace("/", "%2F")}"' in html
    assert f'href="{reverse("account_signup")}?next={link.replace("/", "%2F")}"' in html
    assert "Accept and join" not in html
    assert client.session[INVITATION_SESSION_KEY] == str(invitation.pk)


def test_the_links_page_keeps_its_token_from_referrers_and_caches(client, invited):
    _, link = invited()

    for response in (client.get(link), client.get("/invitations/" + "x" * 43 + "/")):
        assert response["Referrer-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"]


def test_the_invited_address_accepts_and_lands_in_the_organization(org, invited):
    _, link = invited("vet@example.com", Role.ADMIN)
    newcomer = UserFactory(email="vet@example.com")
    client = signed_in(newcomer)
    client.get(link)  # what a visitor does first: the session remembers the invitation

    page = client.get(link)
    response = client.post(link)

    assert "Accept and join" in page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert response["Location"] == reverse("api-keys", args=[org.pk])
    assert shown_after(client, response) == [
        views.JOINED.format(organization=org.name, role="admin")
    ]
    assert Membership.objects.get(user=newcomer, organization=org).role == Role.ADMIN
    assert INVITATION_SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_ACCEPTED).count() == 1


def test_someone_signed_in_with_another_address_is_refused_clearly(member, org, invited):
    _, link = invited("vet@example.com")
    client = signed_in(member)

    page = client.get(link)
    response = client.post(link)

    assert services.OTHER_EMAIL in page.content.decode()
    assert "Accept and join" not in page.content.decode()
    assert response.status_code == 403 and services.OTHER_EMAIL in response.content.decode()
    assert Membership.objects.get(user=member, organization=org).role == Role.MEMBER


def test_an_anonymous_accept_is_sent_to_sign_in(client, invited):
    _, link = invited()

    response = client.post(link)

    assert response["Location"] == f"{reverse('account_login')}?next={link.replace('/', '%2F')}"
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def _used(invitation, link):
    services.invitation_accept(user=UserFactory(email=invitation.email), token=link.split("/")[2])


def _revoked(invitation, link):
    services.invitation_revoke(invitation=invitation, actor=invitation.invited_by, acting_key=None)


def _expired(invitation, link):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())


def _unknown(invitation, link):
    Invitation.objects.filter(pk=invitation.pk).update(token_hash="0" * 64)


@pytest.mark.parametrize("spoil", [_used, _revoked, _expired, _unknown])
def test_every_link_that_no_longer_works_gets_the_same_404(client, invited, spoil):
    invitation, link = invited()
    spoil(invitation, link)
    newcomer_client = signed_in(UserFactory(email="late@example.com"))

    for response in (client.get(link), newcomer_client.get(link), newcomer_client.post(link)):
        assert response.status_code == 404
        assert services.INVITATION_INVALID in response.content.decode()
        assert invitation.email not in response.content.decode()
    assert INVITATION_SESSION_KEY not in client.session


# With the account pages ----------------------------------------------------------------


def test_an_invitee_with_no_account_signs_up_through_the_link_while_sign_up_is_closed(
    client, org, invited, settings, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_SIGNUP_OPEN = False
    _, link = invited("vet@example.com", Role.ADMIN)
    signup_url = f"{reverse('account_signup')}?next={link}"
    # Closed to someone with no invitation: no sign-up form.
    assert 'name="password1"' not in client.get(signup_url).content.decode()

    client.get(link)  # the invitation opens the door (the session remembers it)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            signup_url,
            {
                "email": "vet@example.com",
                "password1": "a long and fresh passphrase",
                "password2": "a long and fresh passphrase",
            },
        )
    confirm = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    client.post(confirm.group(1))
    client.post(
        f"{reverse('account_login')}?next={link}",
        {"login": "vet@example.com", "password": "a long and fresh passphrase"},
    )
    response = client.post(link)

    assert response["Location"] == reverse("api-keys", args=[org.pk])
    assert Membership.objects.get(organization=org, user__email="vet@example.com").role == "admin"
