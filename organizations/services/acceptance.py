"""Answering invitations: accepting one (the only way in), and expiring those left unanswered.

Same lock order as every organization service: the organization row, then the invitation.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.audit import SYSTEM, AuditContext
from core.errors import Forbidden, NotFound
from core.models import AuditAction
from organizations.models import (
    Invitation,
    InvitationStatus,
    Membership,
    Organization,
    Role,
    User,
    normalize_login_email,
)
from organizations.selectors import has_verified_email, pending_invitation_by_token
from organizations.services.invitations import (
    EMAIL_UNVERIFIED,
    INVITATION_INVALID,
    INVITER_CANNOT_GRANT,
    OTHER_EMAIL,
    audit_invitation,
    check_grant,
    locked_invitation,
    mark_expired,
)
from organizations.services.members import add_membership


def invitation_accept(*, user: User, token: str, context: AuditContext = SYSTEM) -> Membership:
    """Make `user` a member on the terms of the invitation `token` opens, once.

    `user` must be signed in with the invited address, verified. An expired invitation is
    marked expired (and audited) before the refusal, so the refusal cannot undo the mark.
    """
    membership = _accept_or_expire(user=user, token=token, context=context)
    if membership is None:
        raise NotFound(INVITATION_INVALID)
    return membership


@transaction.atomic
def _accept_or_expire(*, user: User, token: str, context: AuditContext) -> Membership | None:
    found = pending_invitation_by_token(token)
    if found is None:
        raise NotFound(INVITATION_INVALID)
    organization, invitation = locked_invitation(found)
    if invitation.status != InvitationStatus.PENDING:  # accepted or revoked meanwhile
        raise NotFound(INVITATION_INVALID)
    if invitation.is_past_due:
        mark_expired(invitation, context)
        return None
    if not has_verified_email(user, invitation.email):
        signed_in_as_invitee = normalize_login_email(user.email) == invitation.email
        raise Forbidden(EMAIL_UNVERIFIED if signed_in_as_invitee else OTHER_EMAIL)
    if not invitation.by_operator:
        # The inviter's right to grant the role is checked again: an admin demoted or
        # removed since must not still bring people in through links sent before.
        inviter = invitation.invited_by
        if inviter is None:  # the inviter's account was deleted since
            raise Forbidden(INVITER_CANNOT_GRANT)
        try:
            check_grant(
                actor=inviter, acting_key=None, organization=organization, role=invitation.role
            )
        except Forbidden as error:
            raise Forbidden(INVITER_CANNOT_GRANT) from error
    membership = add_membership(
        organization=organization,
        user=user,
        role=Role(invitation.role),
        actor=user,
        acting_key=None,
        context=context,
    )
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit_invitation(
        AuditAction.INVITATION_ACCEPTED, invitation, actor=user, acting_key=None, context=context
    )
    return membership


@transaction.atomic
def invitations_expire(
    *,
    organization: Organization | None = None,
    now: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> int:
    """Mark every pending invitation past its expiry as expired (audited); return how many.

    For `manage.py expire_invitations` (a cron job) or a caller tidying one organization. A
    due invitation already refuses acceptance; this makes its status say so.
    """
    now = now or timezone.now()
    due = Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__lte=now)
    if organization is not None:
        due = due.filter(organization=organization)
    organization_ids = set(due.values_list("organization_id", flat=True))
    # Organizations first, in one order, then their invitations: the services' lock order.
    list(
        Organization.objects.select_for_update(no_key=True)
        .filter(pk__in=organization_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    rows = due.select_for_update(of=("self",)).select_related("organization").order_by("pk")
    for invitation in rows:
        mark_expired(invitation, context)
        expired += 1
    return expired
