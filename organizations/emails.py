"""The emails `organizations` sends: invitations, with a text and an HTML part.

A message goes out only once the transaction that made its link has committed
(`transaction.on_commit`): a rolled-back invitation never reaches anyone's mailbox.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from core.errors import InvalidInput
from organizations.models import Invitation

SITE_URL_MISSING = (
    "Set SITE_URL to this site's address (e.g. https://portal.example.com): emails link to it."
)
INVITATION_SUBJECT = "Join {organization} on Keyportal"


def link_base(request_base: str = "") -> str:
    """The address links in emails start with: `SITE_URL`, else the request's own site.

    The configured address wins, so a request's Host header never chooses where a link
    points. Raises InvalidInput when neither is known (a command without SITE_URL).
    """
    base = (settings.SITE_URL or request_base).rstrip("/")
    if not base:
        raise InvalidInput(SITE_URL_MISSING)
    return base


def invitation_link(base: str, token: str) -> str:
    """The single-use acceptance link an invitation email carries."""
    return f"{base}{reverse('invitation', args=[token])}"


def send_invitation(invitation: Invitation, *, link: str) -> None:
    """Email the invitation now (call through `send_invitation_on_commit`)."""
    context = {
        "organization": invitation.organization.name,
        "role": invitation.get_role_display().lower(),
        "inviter": invitation.invited_by,
        "link": link,
        "expires_at": invitation.expires_at,
        "days": settings.INVITATION_DAYS,
    }
    message = EmailMultiAlternatives(
        subject=INVITATION_SUBJECT.format(organization=invitation.organization.name),
        body=render_to_string("organizations/email/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("organizations/email/invitation.html", context), "text/html"
    )
    message.send()


def send_invitation_on_commit(invitation: Invitation, *, link: str) -> None:
    """Email the invitation once the current transaction commits.

    `robust`: a mail server that fails after the commit must not turn a made invitation
    into an error page; it is logged (without the link) and a manager can resend.
    """

    def send_invitation_email() -> None:
        send_invitation(invitation, link=link)

    transaction.on_commit(send_invitation_email, robust=True)
