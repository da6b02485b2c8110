"""Validate lifecycle input: the rules and user-facing messages every interface shares.

Forms, serializers and commands may check input early with these, but the services always
call them again, so no interface can skip a rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from apikeys import conf
from apikeys.audit import AuditContext
from apikeys.models import Mode
from organizations.errors import Forbidden, InvalidInput

NAME_MAX_LENGTH = 100

NAME_REQUIRED = "Give the key a name."
NAME_TOO_LONG = f"The name can be at most {NAME_MAX_LENGTH} characters."
NAME_INVALID = "The name cannot contain control characters."
MODE_INVALID = "The mode must be 'live' or 'test'."
SCOPE_UNKNOWN = "Unknown scope: {scope}."
SCOPES_INVALID = "Scopes must be a list of scope names."
SCOPE_ESCALATION = "An API key cannot grant scopes it does not hold: {scopes}."
EXPIRY_IN_PAST = "The expiry must be in the future."
RATE_LIMIT_INVALID = "A rate limit must be a positive number of requests."
CREATOR_NOT_MEMBER = "The user a key acts as must belong to its organization."
GRACE_INVALID = "The grace period must be between 0 and {max} seconds."


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(NAME_REQUIRED, field="name")
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(NAME_TOO_LONG, field="name")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidInput(NAME_INVALID, field="name")
    return name


def validate_mode(mode: object) -> str:
    if mode not in Mode.values:
        raise InvalidInput(MODE_INVALID, field="mode")
    return str(mode)


def validate_scopes(scopes: Iterable[str] | None, *, context: AuditContext) -> list[str]:
    """Return the scopes sorted and deduplicated; refuse unknown ones and escalation."""
    if scopes is None:
        scopes = settings.APIKEYS_DEFAULT_SCOPES
    if isinstance(scopes, str) or not all(isinstance(s, str) for s in scopes):
        raise InvalidInput(SCOPES_INVALID, field="scopes")
    registry = conf.scope_registry()
    chosen = sorted(set(scopes))
    for scope in chosen:
        if scope not in registry:
            raise InvalidInput(SCOPE_UNKNOWN.format(scope=scope[:100]), field="scopes")
    if context.api_key is not None:
        # A key may only mint keys weaker than or equal to itself: no escalation.
        extra = sorted(set(chosen) - set(context.api_key.scopes))
        if extra:
            raise Forbidden(SCOPE_ESCALATION.format(scopes=", ".join(extra)), field="scopes")
    return chosen


def validate_expiry(expires_at: datetime | None, *, now: datetime) -> datetime | None:
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(EXPIRY_IN_PAST, field="expires_at")
    return expires_at


def validate_grace(seconds: int | None) -> int:
    limit = settings.APIKEYS_MAX_GRACE_SECONDS
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= limit:
        raise InvalidInput(GRACE_INVALID.format(max=limit), field="grace_period_seconds")
    return seconds


def validate_rate(value: int | None, field: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidInput(RATE_LIMIT_INVALID, field=field)
    return value
