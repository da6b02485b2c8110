"""What happens to a member's keys when they leave: revoked, or transferred."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apikeys.models import APIKey, KeyStatus
from apikeys.services._common import REVOKE_FIELDS, mark_revoked
from core.audit import AuditContext, record
from core.models import AuditAction
from organizations.models import Organization, User


def api_keys_of_leaving_member(
    *,
    organization: Organization,
    user: User,
    actor: User,
    acting_key: APIKey | None,
    transfer_to: User | None,
    context: AuditContext,
    **_: Any,
) -> None:
    """Revoke `user`'s unrevoked keys in `organization`, or hand them to `transfer_to`.

    Answers `organizations.signals.member_leaving`, inside `member_remove`'s transaction,
    which has already checked the actor, the acting key and `transfer_to`, and locked the
    organization row (the lock order: organization, then keys). Each key gets its own
    audit event. Paused and expired keys go too: a key that could be resumed, or whose
    expiry could be read differently, must not outlive its creator's membership.
    """
    now = timezone.now()
    keys = (
        APIKey.objects.select_for_update(of=("self",), no_key=True)
        .select_related("organization")
        .filter(organization=organization, created_by=user)
        .exclude(status=KeyStatus.REVOKED)
        .order_by("created_at", "id")
    )
    for key in keys:
        if transfer_to is not None:
            key.created_by = transfer_to
            key.save(update_fields=["created_by"])
            action = AuditAction.KEY_TRANSFERRED
            details = {"from": user.email, "to": transfer_to.email}
        else:
            mark_revoked(key, actor=actor, now=now)
            key.save(update_fields=list(REVOKE_FIELDS))
            action = AuditAction.KEY_REVOKED
            details = {"reason": "creator_removed", "creator": user.email}
        record(
            action,
            actor=actor,
            acting_key=acting_key,
            organization=organization,
            api_key=key,
            context=context,
            details=details,
        )
