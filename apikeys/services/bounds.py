"""The bounds on a key that acts through the lifecycle: never more than itself.

A key acts for its creator, with its creator's current role, but never beyond itself. It
may mint only keys no broader than itself in every dimension, and act on (rotate, pause,
resume, revoke, rename, set or clear the default) only keys it could have minted:

- organization: its own;
- scopes: a subset of its effective scopes (those its creator's role still allows);
- mode: its own (a test key never mints or steers a live key);
- expiry: none later than its own (a key that expires in an hour cannot mint one that
  never expires);
- rate limits: none higher than its own (staff-set limits bind the keys it mints).

Without a key (a session, the admin, a command) none of this applies: the actor's role
does, through `organizations.permissions`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from apikeys.models import APIKey
from core.errors import Forbidden
from organizations.permissions import WRONG_ORGANIZATION, effective_scopes, key_role

SCOPE_ESCALATION = "An API key cannot grant scopes it does not hold: {scopes}."
MODE_ESCALATION = "A {mode} API key can create only {mode} keys."
EXPIRY_ESCALATION = (
    "An API key cannot create a key that outlives it: set expires_at to {expiry} or earlier."
)
RATE_ESCALATION = "An API key cannot create a key with a higher {field} than its own ({limit})."
ACTS_ON_BROADER = (
    "An API key can act only on keys it could have created itself; this key is broader "
    "in {dimensions}."
)

_RATE_DEFAULTS = {
    "rate_limit_per_minute": "APIKEYS_RATE_PER_MINUTE",
    "rate_limit_per_hour": "APIKEYS_RATE_PER_HOUR",
}


def _limit(own: int | None, field: str) -> float:
    """A key's effective limit in one window: its own, else the default; 0 is unlimited."""
    value = own or getattr(settings, _RATE_DEFAULTS[field])
    return value or math.inf


def _broader(
    acting_key: APIKey,
    *,
    organization_id: object,
    scopes: Iterable[str],
    mode: str,
    expires_at: datetime | None,
    rates: dict[str, int | None],
) -> list[tuple[str, str, str]]:
    """List `(dimension, field, message)` for each way a key so described exceeds `acting_key`."""
    found: list[tuple[str, str, str]] = []
    if str(organization_id) != str(acting_key.organization_id):
        found.append(("organization", "organization_id", WRONG_ORGANIZATION))
    held = set(effective_scopes(acting_key.scopes, key_role(acting_key)))
    extra = sorted(set(scopes) - held)
    if extra:
        listed = ", ".join(extra)
        found.append((f"scopes ({listed})", "scopes", SCOPE_ESCALATION.format(scopes=listed)))
    if mode != acting_key.mode:
        found.append((f"mode ({mode})", "mode", MODE_ESCALATION.format(mode=acting_key.mode)))
    own_expiry = acting_key.expires_at
    if own_expiry is not None and (expires_at is None or expires_at > own_expiry):
        message = EXPIRY_ESCALATION.format(expiry=own_expiry.isoformat())
        found.append(("expiry", "expires_at", message))
    for field, requested in rates.items():
        own = _limit(getattr(acting_key, field), field)
        if _limit(requested, field) > own:
            message = RATE_ESCALATION.format(field=field, limit=own)
            found.append(("rate limits", field, message))
    return found


def check_mint(
    acting_key: APIKey | None,
    *,
    organization_id: object,
    scopes: Iterable[str],
    mode: str,
    expires_at: datetime | None,
    rate_limit_per_minute: int | None,
    rate_limit_per_hour: int | None,
) -> dict[str, int | None]:
    """Refuse (403, naming the dimension) a new key broader than `acting_key`.

    Return the new key's rate limits: a limit left unset inherits the acting key's own, so
    staff-set limits bind the keys a key mints.
    """
    rates = {
        "rate_limit_per_minute": rate_limit_per_minute,
        "rate_limit_per_hour": rate_limit_per_hour,
    }
    if acting_key is None:
        return rates
    for field, requested in rates.items():
        if requested is None:
            rates[field] = getattr(acting_key, field)
    excess = _broader(
        acting_key,
        organization_id=organization_id,
        scopes=scopes,
        mode=mode,
        expires_at=expires_at,
        rates=rates,
    )
    if excess:
        _, field, message = excess[0]
        raise Forbidden(message, field=field)
    return rates


def check_acts_on(acting_key: APIKey | None, target: APIKey) -> None:
    """Refuse (403) unless `acting_key` (None: no key) could have minted `target` itself."""
    if acting_key is None:
        return
    excess = _broader(
        acting_key,
        organization_id=target.organization_id,
        scopes=target.scopes,
        mode=target.mode,
        expires_at=target.expires_at,
        rates={
            "rate_limit_per_minute": target.rate_limit_per_minute,
            "rate_limit_per_hour": target.rate_limit_per_hour,
        },
    )
    if excess:
        dimensions = ", ".join(dict.fromkeys(dimension for dimension, _, _ in excess))
        raise Forbidden(ACTS_ON_BROADER.format(dimensions=dimensions))
