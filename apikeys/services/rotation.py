"""Rotate a key: a replacement now, the old key revoked at once or after a grace period."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from apikeys import keys
from apikeys.models import APIKey, EffectiveStatus, KeyAction, KeyStatus
from apikeys.services._common import (
    ADD_PERMISSION,
    ALREADY_ROTATED,
    REVOKE_FIELDS,
    audit_key,
    iso,
    lock,
    lock_organization,
    mark_revoked,
    new_key_material,
    refuse_unless,
    require_key_manager,
)
from apikeys.services.bounds import check_acts_on
from apikeys.validation import validate_grace
from core.audit import SYSTEM, AuditContext
from core.errors import Conflict
from core.models import AuditAction
from organizations.models import User


@transaction.atomic
@sensitive_variables()
def api_key_rotate(
    *,
    key: APIKey,
    actor: User,
    acting_key: APIKey | None,
    grace_period_seconds: int | None = None,
    context: AuditContext = SYSTEM,
) -> tuple[APIKey, str]:
    """Replace a key with a new one carrying the same name, mode, scopes, expiry and default.

    Without a grace period the old key is revoked at once; with one (up to 24 hours) it keeps
    working until the grace period ends, so deployments can switch over without downtime.
    A paused key's replacement is created paused: rotating never lifts a pause. A key may
    rotate only keys it could have minted itself. Returns `(new_key, plaintext)`.
    """
    grace = validate_grace(grace_period_seconds)
    require_key_manager(actor, acting_key, key.organization_id, permission=ADD_PERMISSION)
    lock_organization(key.organization_id)
    old = lock(key)
    check_acts_on(acting_key, old)
    now = timezone.now()
    # A retired key points to its replacement even once its grace has run out; one that
    # rotation revoked at once says it is revoked, like any other.
    if old.is_rotated and old.effective_status(now) != EffectiveStatus.REVOKED:
        raise Conflict(ALREADY_ROTATED)
    refuse_unless(old, KeyAction.ROTATE, now=now)
    was_default, original_expiry = old.is_default, old.expires_at
    paused = old.status == KeyStatus.PAUSED
    raw, prefix, hashed = new_key_material(old.mode)
    old.rotated_at, old.is_default = now, False
    if grace:
        grace_end = now + timedelta(seconds=grace)
        old.expires_at = min(original_expiry, grace_end) if original_expiry else grace_end
        old.save(update_fields=["rotated_at", "is_default", "expires_at"])
    else:
        mark_revoked(old, actor=actor, now=now)
        old.save(update_fields=["rotated_at", *REVOKE_FIELDS])
    new = APIKey.objects.create(
        organization=old.organization,
        created_by=actor,
        name=old.name,
        mode=old.mode,
        prefix=prefix,
        hashed_key=hashed,
        hash_version=keys.HASH_VERSION,
        scopes=list(old.scopes),
        status=KeyStatus.PAUSED if paused else KeyStatus.ACTIVE,
        paused_at=now if paused else None,
        expires_at=original_expiry,
        is_default=was_default,
        created_at=now,
        rotated_from=old,
        rate_limit_per_minute=old.rate_limit_per_minute,
        rate_limit_per_hour=old.rate_limit_per_hour,
    )
    audit_key(
        old,
        AuditAction.KEY_ROTATED,
        actor=actor,
        acting_key=acting_key,
        context=context,
        details={
            "new_key": prefix,
            "grace_period_seconds": grace,
            "old_key_valid_until": iso(old.expires_at if grace else now),
            "new_key_status": new.status,
        },
    )
    return new, raw
