"""Create a key: the one moment its plaintext exists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apikeys import keys
from apikeys.audit import SYSTEM, AuditContext, record
from apikeys.models import APIKey, AuditAction, Mode
from apikeys.services._common import iso, new_key_material
from apikeys.validation import (
    CREATOR_NOT_MEMBER,
    validate_expiry,
    validate_mode,
    validate_name,
    validate_rate,
    validate_scopes,
)
from organizations.errors import InvalidInput
from organizations.models import Organization, User
from organizations.permissions import require_manager, role_in


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
    raw, prefix, hashed = new_key_material(mode)
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
            "expires_at": iso(expires_at),
            "acts_as": created_by.email,
        },
    )
    return key, raw
