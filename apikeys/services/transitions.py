"""Change an existing key: rename, limits, pause and resume, default, revoke."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apikeys.models import APIKey, KeyAction, KeyStatus
from apikeys.services._common import (
    CHANGE_PERMISSION,
    DEFAULT_NEEDS_ACTIVE,
    DEFAULT_NOT_ROTATED,
    NOT_DEFAULT,
    PAUSE_NEEDS_ACTIVE,
    RATE_LIMITS_STAFF_ONLY,
    RESUME_NEEDS_PAUSED,
    lock,
    lock_organization,
    locked_for,
    refuse_unless,
    require_key_manager,
    revoke_and_audit,
    save_and_audit,
)
from apikeys.services.bounds import check_acts_on
from apikeys.validation import validate_name, validate_rate
from core.audit import SYSTEM, AuditContext
from core.errors import Conflict, Forbidden
from core.models import AuditAction
from organizations.models import User


@transaction.atomic
def api_key_rename(
    *,
    key: APIKey,
    actor: User,
    name: str,
    acting_key: APIKey | None,
    context: AuditContext = SYSTEM,
) -> APIKey:
    """Give a key a new name (allowed in any state: a revoked key keeps its history)."""
    new_name = validate_name(name)
    key = locked_for(key, actor, acting_key)
    refuse_unless(key, KeyAction.RENAME)
    old_name, key.name = key.name, new_name
    return save_and_audit(
        key,
        AuditAction.KEY_RENAMED,
        fields=("name",),
        actor=actor,
        acting_key=acting_key,
        context=context,
        details={"from": old_name, "to": new_name},
    )


@transaction.atomic
def api_key_set_rate_limits(
    *,
    key: APIKey,
    actor: User,
    per_minute: int | None,
    per_hour: int | None,
    acting_key: APIKey | None,
    context: AuditContext = SYSTEM,
) -> APIKey:
    """Override (or, with None, restore the default of) a key's rate limits. Staff only.

    Rate limits protect the platform, not only the organization: an owner must not be able
    to lift their own keys' limits.
    """
    # A key never changes limits, even a staff member's: limits bind the keys, not the staff.
    if acting_key is not None or not (actor.is_active and actor.is_staff):
        raise Forbidden(RATE_LIMITS_STAFF_ONLY)
    per_minute = validate_rate(per_minute, "rate_limit_per_minute")
    per_hour = validate_rate(per_hour, "rate_limit_per_hour")
    key = lock(key)
    before = {"per_minute": key.rate_limit_per_minute, "per_hour": key.rate_limit_per_hour}
    key.rate_limit_per_minute, key.rate_limit_per_hour = per_minute, per_hour
    return save_and_audit(
        key,
        AuditAction.KEY_RATE_LIMITS_CHANGED,
        fields=("rate_limit_per_minute", "rate_limit_per_hour"),
        actor=actor,
        acting_key=acting_key,
        context=context,
        details={"from": before, "to": {"per_minute": per_minute, "per_hour": per_hour}},
    )


@transaction.atomic
def api_key_pause(
    *, key: APIKey, actor: User, acting_key: APIKey | None, context: AuditContext = SYSTEM
) -> APIKey:
    """Stop an active key from authenticating until it is resumed; clears its default."""
    key = locked_for(key, actor, acting_key)
    refuse_unless(key, KeyAction.PAUSE, PAUSE_NEEDS_ACTIVE)
    key.status, key.paused_at, key.is_default = KeyStatus.PAUSED, timezone.now(), False
    return save_and_audit(
        key,
        AuditAction.KEY_PAUSED,
        fields=("status", "paused_at", "is_default"),
        actor=actor,
        acting_key=acting_key,
        context=context,
    )


@transaction.atomic
def api_key_resume(
    *, key: APIKey, actor: User, acting_key: APIKey | None, context: AuditContext = SYSTEM
) -> APIKey:
    """Let a paused key authenticate again (never an expired or revoked one)."""
    key = locked_for(key, actor, acting_key)
    refuse_unless(key, KeyAction.RESUME, RESUME_NEEDS_PAUSED)
    key.status, key.paused_at = KeyStatus.ACTIVE, None
    return save_and_audit(
        key,
        AuditAction.KEY_RESUMED,
        fields=("status", "paused_at"),
        actor=actor,
        acting_key=acting_key,
        context=context,
    )


@transaction.atomic
def api_key_set_default(
    *, key: APIKey, actor: User, acting_key: APIKey | None, context: AuditContext = SYSTEM
) -> APIKey:
    """Make an active key the organization's default, clearing the previous default."""
    require_key_manager(actor, acting_key, key.organization_id, permission=CHANGE_PERMISSION)
    lock_organization(key.organization_id)
    key = lock(key)
    check_acts_on(acting_key, key)
    refuse_unless(key, KeyAction.SET_DEFAULT, DEFAULT_NEEDS_ACTIVE)
    if key.is_rotated:
        raise Conflict(DEFAULT_NOT_ROTATED)
    if key.is_default:
        return key
    others = APIKey.objects.filter(organization_id=key.organization_id, is_default=True)
    previous = others.values_list("prefix", flat=True).first()
    others.update(is_default=False)
    key.is_default = True
    return save_and_audit(
        key,
        AuditAction.KEY_DEFAULT_SET,
        fields=("is_default",),
        actor=actor,
        acting_key=acting_key,
        context=context,
        details={"previous_default": previous},
    )


@transaction.atomic
def api_key_remove_default(
    *, key: APIKey, actor: User, acting_key: APIKey | None, context: AuditContext = SYSTEM
) -> APIKey:
    """Clear a key's default flag."""
    key = locked_for(key, actor, acting_key)
    if not key.is_default:
        raise Conflict(NOT_DEFAULT)
    key.is_default = False
    return save_and_audit(
        key,
        AuditAction.KEY_DEFAULT_REMOVED,
        fields=("is_default",),
        actor=actor,
        acting_key=acting_key,
        context=context,
    )


@transaction.atomic
def api_key_revoke(
    *, key: APIKey, actor: User, acting_key: APIKey | None, context: AuditContext = SYSTEM
) -> APIKey:
    """Revoke a key for good, from any state; the very next request with it is refused."""
    key = locked_for(key, actor, acting_key)
    refuse_unless(key, KeyAction.REVOKE)
    return revoke_and_audit(key, actor=actor, acting_key=acting_key, context=context)
