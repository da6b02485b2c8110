"""The API-key lifecycle: the only code that changes a key's state.

Every service is one transaction that checks the actor's role (through
`organizations.permissions`), locks the rows it changes, applies one transition and appends
its audit event. Refusals raise `organizations.errors.DomainError` subclasses carrying the
messages below and in `apikeys.validation`; the interfaces turn them into 400, 403, 404 or
409 answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apikeys import conf, keys
from apikeys.audit import SYSTEM, AuditContext, record
from apikeys.models import EXPIRED, APIKey, AuditAction, KeyStatus, Mode
from apikeys.validation import (
    CREATOR_NOT_MEMBER,
    validate_expiry,
    validate_grace,
    validate_mode,
    validate_name,
    validate_rate,
    validate_scopes,
)
from organizations.errors import Conflict, Forbidden, InvalidInput
from organizations.models import Organization, User
from organizations.permissions import require_manager, role_in

ALREADY_REVOKED = "This key is revoked; revocation cannot be undone."
ALREADY_EXPIRED = "This key has expired."
PAUSE_NEEDS_ACTIVE = "Only an active key can be paused."
RESUME_NEEDS_PAUSED = "Only a paused key can be resumed."
DEFAULT_NEEDS_ACTIVE = "Only an active key can be the default."
DEFAULT_NOT_ROTATED = "A rotated key is being retired and cannot be the default."
NOT_DEFAULT = "This key is not the default."
RATE_LIMITS_STAFF_ONLY = "Only staff can change a key's rate limits."
ALREADY_ROTATED = "This key has already been rotated; rotate its replacement instead."


# Helpers -------------------------------------------------------------------------------


def _lock(key: APIKey) -> APIKey:
    """Re-read the key under a row lock: every decision is made on the committed state."""
    return APIKey.objects.select_for_update().select_related("organization").get(pk=key.pk)


def _lock_organization(organization_id: object) -> None:
    # Default changes lock the organization row so that concurrent set-default calls
    # serialize: each one then clears the default the previous one committed.
    Organization.objects.select_for_update().only("id").get(pk=organization_id)


def _new_key_material(mode: str) -> tuple[str, str, str]:
    brand = conf.brand()
    for _ in range(5):
        raw, prefix = keys.generate(brand, mode)
        if not APIKey.objects.filter(prefix=prefix).exists():
            break
    # The unique constraint on prefix still guards the (astronomically unlikely) race.
    return raw, prefix, keys.digest(raw, conf.pepper())


def _locked_for(key: APIKey, actor: User) -> APIKey:
    """Check the actor's role, then re-read the key under a row lock."""
    require_manager(actor, key.organization_id)
    return _lock(key)


def _commit(
    key: APIKey,
    action: AuditAction,
    *,
    fields: tuple[str, ...],
    actor: User,
    context: AuditContext,
    details: dict[str, object] | None = None,
) -> APIKey:
    """Save the changed fields and append the audit event in the same transaction."""
    key.save(update_fields=list(fields))
    record(
        action,
        actor=actor,
        organization=key.organization,
        api_key=key,
        context=context,
        details=details,
    )
    return key


# Services ------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    actor: User,
    name: str,
    mode: str = Mode.LIVE,
    scopes: Iterable[str] | None = None,
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
    rate_limit_per_hour: int | None = None,
    created_by: User | None = None,
    context: AuditContext = SYSTEM,
) -> tuple[APIKey, str]:
    """Create a key and return `(key, plaintext)`: the only place the plaintext exists.

    The key acts as `created_by` (default: the actor), who must belong to the organization;
    the audit event always names the actor who made it (for example a staff member).
    """
    require_manager(actor, organization)
    created_by = created_by or actor
    if created_by != actor and role_in(created_by, organization) is None:
        raise InvalidInput(CREATOR_NOT_MEMBER, field="created_by")
    now = timezone.now()
    name = validate_name(name)
    mode = validate_mode(mode)
    chosen = validate_scopes(scopes, context=context)
    validate_expiry(expires_at, now=now)
    raw, prefix, hashed = _new_key_material(mode)
    key = APIKey.objects.create(
        organization=organization,
        created_by=created_by,
        name=name,
        mode=mode,
        prefix=prefix,
        hashed_key=hashed,
        hash_version=keys.HASH_VERSION,
        scopes=chosen,
        expires_at=expires_at,
        created_at=now,
        rate_limit_per_minute=validate_rate(rate_limit_per_minute, "rate_limit_per_minute"),
        rate_limit_per_hour=validate_rate(rate_limit_per_hour, "rate_limit_per_hour"),
    )
    record(
        AuditAction.KEY_CREATED,
        actor=actor,
        organization=organization,
        api_key=key,
        context=context,
        details={
            "name": name,
            "mode": mode,
            "scopes": chosen,
            "expires_at": _iso(expires_at),
            "acts_as": created_by.email,
        },
    )
    return key, raw


@transaction.atomic
def api_key_rename(
    *, key: APIKey, actor: User, name: str, context: AuditContext = SYSTEM
) -> APIKey:
    """Give a key a new name (allowed in any state: a revoked key keeps its history)."""
    new_name = validate_name(name)
    key = _locked_for(key, actor)
    old_name, key.name = key.name, new_name
    return _commit(
        key,
        AuditAction.KEY_RENAMED,
        fields=("name",),
        actor=actor,
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
    context: AuditContext = SYSTEM,
) -> APIKey:
    """Override (or, with None, restore the default of) a key's rate limits. Staff only.

    Rate limits protect the platform, not only the organization: an owner must not be able
    to lift their own keys' limits.
    """
    if not (actor.is_active and actor.is_staff):
        raise Forbidden(RATE_LIMITS_STAFF_ONLY)
    per_minute = validate_rate(per_minute, "rate_limit_per_minute")
    per_hour = validate_rate(per_hour, "rate_limit_per_hour")
    key = _lock(key)
    before = {"per_minute": key.rate_limit_per_minute, "per_hour": key.rate_limit_per_hour}
    key.rate_limit_per_minute, key.rate_limit_per_hour = per_minute, per_hour
    return _commit(
        key,
        AuditAction.KEY_RATE_LIMITS_CHANGED,
        fields=("rate_limit_per_minute", "rate_limit_per_hour"),
        actor=actor,
        context=context,
        details={"from": before, "to": {"per_minute": per_minute, "per_hour": per_hour}},
    )


@transaction.atomic
def api_key_pause(*, key: APIKey, actor: User, context: AuditContext = SYSTEM) -> APIKey:
    """Stop an active key from authenticating until it is resumed; clears its default."""
    key = _locked_for(key, actor)
    _refuse_unless(key, KeyStatus.ACTIVE, PAUSE_NEEDS_ACTIVE)
    key.status, key.paused_at, key.is_default = KeyStatus.PAUSED, timezone.now(), False
    return _commit(
        key,
        AuditAction.KEY_PAUSED,
        fields=("status", "paused_at", "is_default"),
        actor=actor,
        context=context,
    )


@transaction.atomic
def api_key_resume(*, key: APIKey, actor: User, context: AuditContext = SYSTEM) -> APIKey:
    """Let a paused key authenticate again (never an expired or revoked one)."""
    key = _locked_for(key, actor)
    _refuse_unless(key, KeyStatus.PAUSED, RESUME_NEEDS_PAUSED)
    key.status, key.paused_at = KeyStatus.ACTIVE, None
    return _commit(
        key, AuditAction.KEY_RESUMED, fields=("status", "paused_at"), actor=actor, context=context
    )


@transaction.atomic
def api_key_set_default(*, key: APIKey, actor: User, context: AuditContext = SYSTEM) -> APIKey:
    """Make an active key the organization's default, clearing the previous default."""
    require_manager(actor, key.organization_id)
    _lock_organization(key.organization_id)
    key = _lock(key)
    _refuse_unless(key, KeyStatus.ACTIVE, DEFAULT_NEEDS_ACTIVE)
    if key.is_rotated:
        raise Conflict(DEFAULT_NOT_ROTATED)
    if key.is_default:
        return key
    others = APIKey.objects.filter(organization_id=key.organization_id, is_default=True)
    previous = others.values_list("prefix", flat=True).first()
    others.update(is_default=False)
    key.is_default = True
    return _commit(
        key,
        AuditAction.KEY_DEFAULT_SET,
        fields=("is_default",),
        actor=actor,
        context=context,
        details={"previous_default": previous},
    )


@transaction.atomic
def api_key_remove_default(*, key: APIKey, actor: User, context: AuditContext = SYSTEM) -> APIKey:
    """Clear a key's default flag."""
    key = _locked_for(key, actor)
    if not key.is_default:
        raise Conflict(NOT_DEFAULT)
    key.is_default = False
    return _commit(
        key, AuditAction.KEY_DEFAULT_REMOVED, fields=("is_default",), actor=actor, context=context
    )


@transaction.atomic
def api_key_revoke(*, key: APIKey, actor: User, context: AuditContext = SYSTEM) -> APIKey:
    """Revoke a key for good, from any state; the very next request with it is refused."""
    key = _locked_for(key, actor)
    if key.status == KeyStatus.REVOKED:
        raise Conflict(ALREADY_REVOKED)
    _mark_revoked(key, actor=actor, now=timezone.now())
    return _commit(
        key, AuditAction.KEY_REVOKED, fields=_REVOKE_FIELDS, actor=actor, context=context
    )


@transaction.atomic
def api_key_rotate(
    *,
    key: APIKey,
    actor: User,
    grace_period_seconds: int | None = None,
    context: AuditContext = SYSTEM,
) -> tuple[APIKey, str]:
    """Replace a key with a new one carrying the same name, mode, scopes, expiry and default.

    Without a grace period the old key is revoked at once; with one (up to 24 hours) it keeps
    working until the grace period ends, so deployments can switch over without downtime.
    Returns `(new_key, plaintext)`.
    """
    grace = validate_grace(grace_period_seconds)
    require_manager(actor, key.organization_id)
    _lock_organization(key.organization_id)
    old = _lock(key)
    now = timezone.now()
    if old.status == KeyStatus.REVOKED:
        raise Conflict(ALREADY_REVOKED)
    if old.is_rotated:
        raise Conflict(ALREADY_ROTATED)
    if old.is_expired(now):
        raise Conflict(ALREADY_EXPIRED)
    was_default, original_expiry = old.is_default, old.expires_at
    raw, prefix, hashed = _new_key_material(old.mode)
    old.rotated_at, old.is_default = now, False
    if grace:
        grace_end = now + timedelta(seconds=grace)
        old.expires_at = min(original_expiry, grace_end) if original_expiry else grace_end
        old.save(update_fields=["rotated_at", "is_default", "expires_at"])
    else:
        _mark_revoked(old, actor=actor, now=now)
        old.save(update_fields=["rotated_at", *_REVOKE_FIELDS])
    new = APIKey.objects.create(
        organization=old.organization,
        created_by=actor,
        name=old.name,
        mode=old.mode,
        prefix=prefix,
        hashed_key=hashed,
        hash_version=keys.HASH_VERSION,
        scopes=list(old.scopes),
        expires_at=original_expiry,
        is_default=was_default,
        created_at=now,
        rotated_from=old,
        rate_limit_per_minute=old.rate_limit_per_minute,
        rate_limit_per_hour=old.rate_limit_per_hour,
    )
    record(
        AuditAction.KEY_ROTATED,
        actor=actor,
        organization=old.organization,
        api_key=old,
        context=context,
        details={
            "new_key": prefix,
            "grace_period_seconds": grace,
            "old_key_valid_until": _iso(old.expires_at if grace else now),
        },
    )
    return new, raw


# Internals -----------------------------------------------------------------------------


def _refuse_unless(key: APIKey, wanted: KeyStatus, message: str) -> None:
    status = key.effective_status()
    if status == wanted:
        return
    if status == KeyStatus.REVOKED:
        raise Conflict(ALREADY_REVOKED)
    if status == EXPIRED:
        raise Conflict(ALREADY_EXPIRED)
    raise Conflict(message)


_REVOKE_FIELDS = ("status", "revoked_at", "revoked_by", "is_default")


def _mark_revoked(key: APIKey, *, actor: User, now: datetime) -> None:
    key.status, key.revoked_at, key.revoked_by, key.is_default = (
        KeyStatus.REVOKED,
        now,
        actor,
        False,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
