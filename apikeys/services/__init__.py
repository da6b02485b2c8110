"""The API-key lifecycle: the only code that changes a key's state.

Every service is one transaction that checks the actor's role (through
`organizations.permissions`), locks the rows it changes, applies one transition and appends
its audit event. Refusals raise `core.errors.DomainError` subclasses carrying the
messages below and in `apikeys.validation`; the interfaces turn them into 400, 403, 404 or
409 answers.
"""

from apikeys.services._common import (
    ALREADY_EXPIRED,
    ALREADY_REVOKED,
    ALREADY_ROTATED,
    DEFAULT_NEEDS_ACTIVE,
    DEFAULT_NOT_ROTATED,
    NOT_DEFAULT,
    PAUSE_NEEDS_ACTIVE,
    RATE_LIMITS_STAFF_ONLY,
    RESUME_NEEDS_PAUSED,
)
from apikeys.services.bounds import (
    ACTS_ON_BROADER,
    EXPIRY_ESCALATION,
    MODE_ESCALATION,
    RATE_ESCALATION,
    SCOPE_ESCALATION,
)
from apikeys.services.create import api_key_create
from apikeys.services.exposed import api_key_mark_exposed
from apikeys.services.leaked import api_key_report_leaked
from apikeys.services.rotation import api_key_rotate
from apikeys.services.transitions import (
    api_key_pause,
    api_key_remove_default,
    api_key_rename,
    api_key_resume,
    api_key_revoke,
    api_key_set_default,
    api_key_set_rate_limits,
)

__all__ = [
    "ACTS_ON_BROADER",
    "ALREADY_EXPIRED",
    "ALREADY_REVOKED",
    "ALREADY_ROTATED",
    "DEFAULT_NEEDS_ACTIVE",
    "DEFAULT_NOT_ROTATED",
    "EXPIRY_ESCALATION",
    "MODE_ESCALATION",
    "NOT_DEFAULT",
    "PAUSE_NEEDS_ACTIVE",
    "RATE_ESCALATION",
    "RATE_LIMITS_STAFF_ONLY",
    "RESUME_NEEDS_PAUSED",
    "SCOPE_ESCALATION",
    "api_key_create",
    "api_key_mark_exposed",
    "api_key_pause",
    "api_key_remove_default",
    "api_key_rename",
    "api_key_report_leaked",
    "api_key_resume",
    "api_key_revoke",
    "api_key_rotate",
    "api_key_set_default",
    "api_key_set_rate_limits",
]
