"""Validate lifecycle input: the rules and user-facing messages every interface shares.

Forms, serializers and commands may check input early with these, but the services always
call them again, so no interface can skip a rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from apikeys import conf
from apikeys.models import Mode
from core.errors import InvalidInput
from organizations.names import NAME_INVISIBLE_CHARACTERS as NAME_INVISIBLE_CHARACTERS
from organizations.names import clean_display_name

NAME_MAX_LENGTH = 100

NAME_REQUIRED = "Give the key a name."
NAME_TOO_LONG = f"The name can be at most {NAME_MAX_LENGTH} characters."
# NAME_INVISIBLE_CHARACTERS (imported above) is the message for a name that hides text.
MODE_INVALID = "The mode must be 'live' or 'test'."
SCOPE_UNKNOWN = "Unknown scope: {scope}."
SCOPES_INVALID = "Scopes must be a list of scope names."
SCOPE_ABOVE_ROLE = "A key acting as {role} cannot hold {scopes}: that role may not."
EXPIRY_IN_PAST = "The expiry must be in the future."
RATE_LIMIT_INVALID = "A rate limit must be a positive number of requests."
ACTS_AS_NOT_MEMBER = "The user a key acts as must belong to its organization."
GRACE_INVALID = "The grace period must be between 0 and {max} seconds."


def validate_name(name: object) -> str:
    """Return the key name stripped; refuse a blank or long one, or one that hides text.

    Key names share the organizations' rule: no control or invisible formatting characters,
    which would let a name display as something else in the key list (see organizations.names).
    """
    return clean_display_name(
        name,
        field="name",
        max_length=NAME_MAX_LENGTH,
        required_message=NAME_REQUIRED,
        too_long_message=NAME_TOO_LONG,
    )


def validate_mode(mode: object) -> str:
    if mode not in Mode.values:
        raise InvalidInput(MODE_INVALID, field="mode")
    return str(mode)


def validate_scopes(scopes: Iterable[str] | None) -> list[str]:
    """Return the scopes sorted and deduplicated; refuse unknown ones.

    Whether the caller may grant them is the services' call (the creator's role, and the
    bounds of an acting key).
    """
    if scopes is None:
        scopes = settings.APIKEYS_DEFAULT_SCOPES
    if isinstance(scopes, str) or not all(isinstance(s, str) for s in scopes):
        raise InvalidInput(SCOPES_INVALID, field="scopes")
    registry = conf.scope_registry()
    chosen = sorted(set(scopes))
    for scope in chosen:
        if scope not in registry:
            raise InvalidInput(SCOPE_UNKNOWN.format(scope=scope[:100]), field="scopes")
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
