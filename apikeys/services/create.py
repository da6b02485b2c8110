"""Create a key: the one moment its plaintext exists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from apikeys import keys
from apikeys.models import APIKey, Mode
from apikeys.services._common import ADD_PERMISSION, iso, new_key_material, require_key_manager
from apikeys.services.bounds import check_mint
from apikeys.validation import (
    ACTS_AS_NOT_MEMBER,
    SCOPE_ABOVE_ROLE,
    validate_expiry,
    validate_mode,
    validate_name,
    validate_rate,
    validate_scopes,
)
from core.audit import SYSTEM, AuditContext, record
from core.errors import Forbidden, InvalidInput
from core.models import AuditAction
from organizations.models import Organization, User
from organizations.permissions import role_in, scopes_allowed


@transaction.atomic
@sensitive_variables()
def api_key_create(
    *,
    organization: Organization,
    actor: User,
    acting_key: APIKey | None,
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

    The key acts as `created_by` (default: the actor), who must belong to the organization
    and whose role must allow every scope; the audit event always names the actor who made
    it (for example a staff member) and the key they made it with. A key made by a key is
    no broader than that key (`bounds.check_mint`).
    """
    require_key_manager(actor, acting_key, organization.pk, permission=ADD_PERMISSION)
    created_by = created_by or actor
    creator_role = role_in(created_by, organization)
    if creator_role is None:
        raise InvalidInput(ACTS_AS_NOT_MEMBER, field="created_by")
    now = timezone.now()
    name = validate_name(name)
    mode = validate_mode(mode)
    chosen = validate_scopes(scopes)
    beyond_role = sorted(set(chosen) - scopes_allowed(creator_role))
    if beyond_role:
        message = SCOPE_ABOVE_ROLE.format(role=creator_role.label, scopes=", ".join(beyond_role))
        raise Forbidden(message, field="scopes")
    validate_expiry(expires_at, now=now)
    rates = check_mint(
        acting_key,
        organization_id=organization.pk,
        scopes=chosen,
        mode=mode,
        expires_at=expires_at,
        rate_limit_per_minute=validate_rate(rate_limit_per_minute, "rate_limit_per_minute"),
        rate_limit_per_hour=validate_rate(rate_limit_per_hour, "rate_limit_per_hour"),
    )
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
        **rates,
    )
    record(
        AuditAction.KEY_CREATED,
        actor=actor,
        acting_key=acting_key,
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
