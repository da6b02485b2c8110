"""What every lifecycle service shares: the lock order, the acting-credential checks, the
save with its audit event, the transition refusals and their messages.

Lock order (every service, so two services never wait on each other in a cycle): the
organization row first (only the services that change which key is the default, and the
membership services, take it), then key rows. A key is locked alone (`of=("self",)`): the
organization joined to it for reading is not locked by that statement, which would take
the two in the other order. Every lock is `FOR NO KEY UPDATE` (`no_key=True`): the
foreign-key checks of the audit event each service inserts take `FOR KEY SHARE` on the key
and the organization, which a plain `FOR UPDATE` held by another service would block,
closing a cycle.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from apikeys import conf, keys
from apikeys.models import APIKey, EffectiveStatus, KeyAction, KeyStatus
from apikeys.services.bounds import check_acts_on
from core.audit import AuditContext, record
from core.errors import Conflict
from core.models import AuditAction
from organizations.models import Organization, User
from organizations.permissions import require_key_scope, require_manager

MANAGE_KEYS_SCOPE = "api_keys:manage"
# Staff acting outside their own memberships need the matching Django model permission.
ADD_PERMISSION = "apikeys.add_apikey"
CHANGE_PERMISSION = "apikeys.change_apikey"

ALREADY_REVOKED = "This key is revoked; revocation cannot be undone."
ALREADY_EXPIRED = "This key has expired."
PAUSE_NEEDS_ACTIVE = "Only an active key can be paused."
RESUME_NEEDS_PAUSED = "Only a paused key can be resumed."
DEFAULT_NEEDS_ACTIVE = "Only an active key can be the default."
DEFAULT_NOT_ROTATED = "A rotated key is being retired and cannot be the default."
NOT_DEFAULT = "This key is not the default."
RATE_LIMITS_STAFF_ONLY = "Only staff can change a key's rate limits."
ALREADY_ROTATED = "This key has already been rotated; rotate its replacement instead."


def require_key_manager(
    actor: User, acting_key: APIKey | None, organization_id: object, *, permission: str
) -> None:
    """Refuse unless the actor manages the organization and the acting key may manage keys.

    Checked in the service, whatever the interface: a key needs `api_keys:manage` in
    effect (its creator's role still allows it), a staff outsider the model `permission`.
    """
    require_manager(actor, organization_id, staff_permission=permission)
    require_key_scope(acting_key, MANAGE_KEYS_SCOPE)


def lock(key: APIKey) -> APIKey:
    """Re-read the key under a row lock: every decision is made on the committed state."""
    return (
        APIKey.objects.select_for_update(of=("self",), no_key=True)
        .select_related("organization")
        .get(pk=key.pk)
    )


def lock_organization(organization_id: object) -> None:
    # Default changes lock the organization row so that concurrent set-default calls
    # serialize: each one then clears the default the previous one committed.
    Organization.objects.select_for_update(no_key=True).only("id").get(pk=organization_id)


@sensitive_variables()
def new_key_material(mode: str) -> tuple[str, str, str]:
    brand = conf.brand()
    for _ in range(5):
        raw, prefix = keys.generate(brand, mode)
        if not APIKey.objects.filter(prefix=prefix).exists():
            break
    # The unique constraint on prefix still guards the (astronomically unlikely) race.
    return raw, prefix, keys.digest(raw, conf.pepper())


def locked_for(key: APIKey, actor: User, acting_key: APIKey | None) -> APIKey:
    """Check the actor and the acting key, then re-read the key under a row lock.

    The acting key's bounds are checked on the locked row, so a concurrent change cannot
    slip a broader key past them.
    """
    require_key_manager(actor, acting_key, key.organization_id, permission=CHANGE_PERMISSION)
    locked = lock(key)
    check_acts_on(acting_key, locked)
    return locked


def save_and_audit(
    key: APIKey,
    action: AuditAction,
    *,
    fields: tuple[str, ...],
    actor: User | None,
    acting_key: APIKey | None,
    context: AuditContext,
    details: dict[str, object] | None = None,
) -> APIKey:
    """Save the changed fields and append the audit event in the same transaction."""
    key.save(update_fields=list(fields))
    audit_key(key, action, actor=actor, acting_key=acting_key, context=context, details=details)
    return key


def audit_key(
    key: APIKey,
    action: AuditAction,
    *,
    actor: User | None,
    acting_key: APIKey | None,
    context: AuditContext,
    details: dict[str, object] | None = None,
) -> None:
    """Append an audit event about `key`, in its organization (call inside the service's
    transaction)."""
    record(
        action,
        actor=actor,
        acting_key=acting_key,
        organization=key.organization,
        api_key=key,
        context=context,
        details=details,
    )


# Why a finished key refuses an action: the same answer whatever was asked of it.
_FINISHED = {EffectiveStatus.REVOKED: ALREADY_REVOKED, EffectiveStatus.EXPIRED: ALREADY_EXPIRED}


def refuse_unless(
    key: APIKey, action: KeyAction, message: str | None = None, *, now: datetime | None = None
) -> None:
    """Refuse (409) unless the key's effective status allows `action` (`ALLOWED_ACTIONS`).

    A revoked or expired key says so; `message` says why a live (active or paused) key
    refuses, so an action every live key allows needs none.
    """
    status = key.effective_status(now)
    if status.allows(action):
        return
    if status in _FINISHED:
        raise Conflict(_FINISHED[status])
    if message is None:
        # The table now refuses a live key something its service gave no reason for.
        raise ValueError(f"{action} refused for a {status} key without a message")
    raise Conflict(message)


REVOKE_FIELDS = ("status", "revoked_at", "revoked_by", "is_default")


def mark_revoked(key: APIKey, *, actor: User | None, now: datetime) -> None:
    key.status, key.revoked_at, key.revoked_by, key.is_default = (
        KeyStatus.REVOKED,
        now,
        actor,
        False,
    )


def revoke_and_audit(
    key: APIKey,
    *,
    actor: User | None,
    acting_key: APIKey | None,
    context: AuditContext,
    details: dict[str, object] | None = None,
) -> APIKey:
    """Revoke a locked key now and record `api_key.revoked` (by a person, or with no actor
    when a leak report or a key sent in a URL revoked it, `details` saying why)."""
    mark_revoked(key, actor=actor, now=timezone.now())
    return save_and_audit(
        key,
        AuditAction.KEY_REVOKED,
        fields=REVOKE_FIELDS,
        actor=actor,
        acting_key=acting_key,
        context=context,
        details=details,
    )


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
