"""What the API-key management commands share: lookups that fail as clear CommandErrors."""

from __future__ import annotations

import uuid

from django.core.management.base import CommandError

from apikeys import conf, keys
from apikeys.models import APIKey
from core.audit import AuditContext
from organizations.models import Organization, User, normalize_login_email

ORGANIZATION_ID_INVALID = "{value!r} is not an organization id (a UUID)."
ORGANIZATION_NOT_FOUND = "No organization has the id {value}."
USER_NOT_FOUND = "No user has the email address {value!r}."
KEY_NOT_FOUND = "No API key has the id or prefix {value!r}."


def command_context(command: str) -> AuditContext:
    """Mark audit events from a command, so the trail tells them from web requests."""
    return AuditContext(request_id=f"manage.py:{command}:{uuid.uuid4().hex}")


def organization_by_id(value: str) -> Organization:
    """Return the organization with this id, or refuse a malformed or unknown one."""
    try:
        organization_id = uuid.UUID(value.strip())
    except (AttributeError, ValueError) as error:
        raise CommandError(ORGANIZATION_ID_INVALID.format(value=value[:100])) from error
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise CommandError(ORGANIZATION_NOT_FOUND.format(value=organization_id))
    return organization


def user_by_email(value: str) -> User:
    """Return the user with this email address (any case), or refuse."""
    user = User.objects.filter(email=normalize_login_email(value)).first()
    if user is None:
        raise CommandError(USER_NOT_FOUND.format(value=value[:254]))
    return user


def key_by_id_or_prefix(value: str) -> APIKey:
    """Find a key by its id, its display prefix, or (for a leaked key) its full plaintext."""
    value = value.strip()
    queryset = APIKey.objects.select_related("organization")
    try:
        key = queryset.filter(pk=uuid.UUID(value)).first()
    except ValueError:
        parsed = keys.parse(value, conf.brand())
        key = queryset.filter(prefix=parsed.prefix if parsed else value).first()
    if key is None:
        # `mask` keeps a pasted plaintext key out of the terminal and its scrollback.
        raise CommandError(KEY_NOT_FOUND.format(value=keys.mask(value)))
    return key
