"""Invitations: the only code that writes them (accepting and expiring: `acceptance`).

An owner or admin (or an operator on the server) invites an email address with a role; the
role rules of `check_membership_change` apply as for adding a member (only owners invite
owners, no API key ever does). The address gets a single-use link; only the person signed in
with that verified address can accept it, and only then do they become a member. Each
service locks the organization row first, then the invitation (the member services' order),
and audits every step in its own transaction; emails leave after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.audit import SYSTEM, AuditContext, record
from core.errors import Conflict, InvalidInput
from core.models import AuditAction
from organizations import emails
from organizations.models import (
    Invitation,
    InvitationStatus,
    Membership,
    Organization,
    normalize_login_email,
)
from organizations.services._common import (
    Actor,
    Operator,
    audit_actor,
    check_change,
    locked_for_members,
    validate_role,
)
from organizations.services.members import ALREADY_MEMBER
from organizations.tokens import new_token, token_digest

EMAIL_INVALID = "Enter a valid email address."
ALREADY_INVITED = "That address already has a pending invitation: resend it instead."
NOT_PENDING = "This invitation is no longer pending; invite the address again."
# One answer for a token that never existed, was used, withdrawn or expired: the page
# tells a guesser nothing about which.
INVITATION_INVALID = (
    "This invitation is not valid. It may have expired, been used or been withdrawn: "
    "ask the organization for a new one."
)
OTHER_EMAIL = (
    "This invitation was sent to another email address. Sign in with that address to accept it."
)
EMAIL_UNVERIFIED = "Verify your email address first, then open the invitation link again."
INVITER_CANNOT_GRANT = (
    "The person who invited you can no longer grant this role: ask for a new invitation."
)


def audit_invitation(
    action: AuditAction,
    invitation: Invitation,
    *,
    actor: Actor | None,
    acting_key: object | None,
    context: AuditContext,
) -> None:
    """Append `action` on `invitation` to its organization's audit trail: who and which
    role, never the token (audit events are read by every manager)."""
    record(
        action,
        actor=audit_actor(actor),
        acting_key=acting_key,
        organization=invitation.organization,
        context=context,
        details={"email": invitation.email, "role": invitation.role},
    )


def check_grant(
    *, actor: Actor, acting_key: object | None, organization: Organization, role: str
) -> None:
    """Refuse unless `actor` (through `acting_key`) may make someone a `role` here (an
    operator may grant every role)."""
    if isinstance(actor, Operator):
        return
    check_change(
        actor=actor, acting_key=acting_key, organization=organization, current=None, new=role
    )


def _clean_email(email: str) -> str:
    email = normalize_login_email(email)
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput(EMAIL_INVALID, field="email") from error
    return email


def _issue(invitation: Invitation, base: str, on_link: Callable[[str], None] | None) -> None:
    """Give `invitation` a fresh token and expiry, and email its link after the commit."""
    token = new_token()
    now = timezone.now()
    invitation.token_hash = token_digest(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_DAYS)
    link = emails.invitation_link(base, token)
    emails.send_invitation_on_commit(invitation, link=link)
    if on_link is not None:
        on_link(link)


def locked_invitation(
    invitation: Invitation, acting_key: object | None = None
) -> tuple[Organization, Invitation]:
    """Refuse an acting key without `members:manage`, lock the invitation's organization,
    then the invitation; return both, fresh (the invitation holding the locked organization)."""
    organization = locked_for_members(invitation.organization, acting_key)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    invitation.organization = organization
    return organization, invitation


def _locked_pending(
    invitation: Invitation, *, actor: Actor, acting_key: object | None
) -> Invitation:
    """Lock a pending invitation for `actor` to resend or withdraw, under the role rules of
    granting its role (only owners touch an invitation to be owner); return it, fresh."""
    organization, invitation = locked_invitation(invitation, acting_key)
    check_grant(actor=actor, acting_key=acting_key, organization=organization, role=invitation.role)
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(NOT_PENDING)
    return invitation


def mark_expired(invitation: Invitation, context: AuditContext) -> None:
    """Mark a locked, pending invitation expired and audit it (no user acts: time did)."""
    invitation.status = InvitationStatus.EXPIRED
    invitation.save(update_fields=["status"])
    audit_invitation(
        AuditAction.INVITATION_EXPIRED, invitation, actor=None, acting_key=None, context=context
    )


@transaction.atomic
def invitation_create(
    *,
    organization: Organization,
    actor: Actor,
    acting_key: object | None,
    email: str,
    role: str,
    site_url: str = "",
    on_link: Callable[[str], None] | None = None,
    context: AuditContext = SYSTEM,
) -> Invitation:
    """Invite `email` to join with `role`, and email them the link.

    Whether the address has an account changes nothing here, so the answer never tells
    which addresses are registered. `site_url` is the request's site, used for the link
    when `SITE_URL` is unset. `on_link` also receives the link, a secret: only for an
    operator's `manage.py invite --print-link`, never for an answer to a request.
    """
    role = validate_role(role)
    email = _clean_email(email)
    base = emails.link_base(site_url)
    organization = locked_for_members(organization, acting_key)
    check_grant(actor=actor, acting_key=acting_key, organization=organization, role=role)
    if Membership.objects.filter(organization=organization, user__email=email).exists():
        raise Conflict(ALREADY_MEMBER, field="email")
    pending = Invitation.objects.select_for_update().filter(
        organization=organization, email=email, status=InvitationStatus.PENDING
    )
    for invitation in pending:
        if not invitation.is_past_due:
            raise Conflict(ALREADY_INVITED, field="email")
        mark_expired(invitation, context)  # frees the address for a new invitation
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        invited_by=audit_actor(actor),
        by_operator=isinstance(actor, Operator),
    )
    _issue(invitation, base, on_link)
    invitation.save()
    audit_invitation(
        AuditAction.INVITATION_CREATED,
        invitation,
        actor=actor,
        acting_key=acting_key,
        context=context,
    )
    return invitation


@transaction.atomic
def invitation_resend(
    *,
    invitation: Invitation,
    actor: Actor,
    acting_key: object | None,
    site_url: str = "",
    context: AuditContext = SYSTEM,
) -> Invitation:
    """Email a pending invitation again with a new link and a new expiry; the old link dies."""
    base = emails.link_base(site_url)
    invitation = _locked_pending(invitation, actor=actor, acting_key=acting_key)
    _issue(invitation, base, None)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit_invitation(
        AuditAction.INVITATION_RESENT,
        invitation,
        actor=actor,
        acting_key=acting_key,
        context=context,
    )
    return invitation


@transaction.atomic
def invitation_revoke(
    *,
    invitation: Invitation,
    actor: Actor,
    acting_key: object | None,
    context: AuditContext = SYSTEM,
) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once.

    The role rules are those of granting it: only owners withdraw an invitation to be owner.
    """
    invitation = _locked_pending(invitation, actor=actor, acting_key=acting_key)
    invitation.status = InvitationStatus.REVOKED
    invitation.revoked_by = audit_actor(actor)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["status", "revoked_by", "revoked_at"])
    audit_invitation(
        AuditAction.INVITATION_REVOKED,
        invitation,
        actor=actor,
        acting_key=acting_key,
        context=context,
    )
    return invitation
