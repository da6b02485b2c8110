"""Other API-key services' names for Keyportal's fields, and the refusal that names ours.

Integrators arrive with code written against another vendor's documents (README, "Coming
from another API-key service"). Keyportal accepts one spelling of each name: another one is
refused, never read and never ignored, because an ignored `expiresAt` makes a key that was
meant to expire live for ever. The refusal names the field to send instead.

One table serves request bodies and query strings alike, for every app (`organizations`
uses it for `organization_id`, so it lives here and names fields only as strings).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

# The vendor's name -> Keyportal's. From the five documents integrators bring (NxVET,
# Nuxera AI, NovaMed, Nexus, Nexora), and the common spellings of the same fields.
VENDOR_ALIASES: dict[str, str] = {
    # The organization: `organization_id` is the only name (none of these is ever read).
    "organizationId": "organization_id",  # NxVET, Nexus
    "clinic_id": "organization_id",  # NovaMed
    "clinicId": "organization_id",
    "orgId": "organization_id",
    "org_id": "organization_id",
    # Expiry.
    "expiresAt": "expires_at",  # NxVET
    "expiry_at": "expires_at",  # Nuxera AI
    "exp": "expires_at",  # Nexus (a JWT claim)
    "expires": "expires_at",
    "expiry": "expires_at",
    # Test or live: Nuxera AI's key `type`.
    "type": "mode",
    "keyType": "mode",
    # What a key may do: Nexus' `permissions`.
    "permissions": "scopes",
    "scope": "scopes",
    # The key's name.
    "label": "name",
    "description": "name",
    # How a key is found and what state it is in (list filters).
    "keyPrefix": "prefix",  # NxVET
    "isRevoked": "status",  # NxVET
    "revoked": "status",
    "isActive": "status",
    "active": "status",
    "isDefault": "is_default",
    "createdAt": "created_at",  # NxVET
    "lastUsedAt": "last_used_at",  # NxVET
    "userId": "user_id",  # NxVET, Nuxera AI's transcription form
    # Paging: Keyportal pages with `limit` and `offset`.
    "page_size": "limit",
    "pageSize": "limit",
    "per_page": "limit",
    "page": "offset",
}

# Names a credential travels under in other services' URLs (Nexora's `?token=`).
CREDENTIAL_PARAMETERS = frozenset(
    {"api_key", "apiKey", "api-key", "x-api-key", "key", "token", "access_token"}
)

FIELD = "field"
PARAMETER = "query parameter"

UNKNOWN = "Unknown {kind}."
UNKNOWN_USE = 'Unknown {kind}. Use "{name}".'
UNKNOWN_NOT_HERE = (
    'Unknown {kind}. Keyportal calls it "{name}", and this endpoint does not take it.'
)
CREDENTIAL_IN_URL = "Unknown query parameter. Credentials go in a request header, never in the URL."

# A hostile request may name thousands of fields: the answer names the first ones.
MAX_REPORTED = 20
MAX_NAME_LENGTH = 100

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def keyportal_name(name: str, accepted: Collection[str]) -> str | None:
    """Return Keyportal's name for a vendor's `name`, if it has one.

    The table first; else the snake_case of a camelCase name when this endpoint takes that
    (`gracePeriodSeconds` -> `grace_period_seconds`).
    """
    if name in VENDOR_ALIASES:
        return VENDOR_ALIASES[name]
    snake = _CAMEL_HUMP.sub("_", name).lower()
    return snake if snake != name and snake in accepted else None


def refusal(name: str, accepted: Collection[str], *, kind: str) -> str:
    """Return the message refusing `name`, naming Keyportal's field where there is one."""
    if kind == PARAMETER and name in CREDENTIAL_PARAMETERS:
        return CREDENTIAL_IN_URL
    ours = keyportal_name(name, accepted)
    if ours is None:
        return UNKNOWN.format(kind=kind)
    template = UNKNOWN_USE if ours in accepted else UNKNOWN_NOT_HERE
    return template.format(kind=kind, name=ours)


def unknown_names(
    given: Iterable[str], accepted: Collection[str], *, kind: str
) -> dict[str, list[str]]:
    """Return a field map refusing every name in `given` that is not in `accepted`."""
    errors: dict[str, list[str]] = {}
    for name in given:
        if name in accepted:
            continue
        if len(errors) == MAX_REPORTED:
            break
        shown = name if len(name) <= MAX_NAME_LENGTH else name[:MAX_NAME_LENGTH] + "…"
        errors[shown] = [refusal(name, accepted, kind=kind)]
    return errors


def aliases_of(name: str) -> tuple[str, ...]:
    """Return the vendor spellings of Keyportal's `name`."""
    return tuple(alias for alias, ours in VENDOR_ALIASES.items() if ours == name)
