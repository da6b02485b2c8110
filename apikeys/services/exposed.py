"""A genuine key that arrived in a URL: refused, marked exposed, its owners told.

URLs end up in proxy and access logs, browser history and Referer headers, so a key sent in
one must be treated as seen by others. The request itself is refused (`KEY_IN_URL`);
this records it once per key (`api_key.exposed`, with the path, never the key), tells the
organization's owners and the key's creator, and, when the operator sets
`APIKEYS_REVOKE_KEYS_SENT_IN_URLS`, revokes the key at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apikeys.lookup import issued_keys
from apikeys.mail import key_watchers, keys_link, send_to_each
from apikeys.models import APIKey, KeyAction
from apikeys.services._common import audit_key, lock, revoke_and_audit
from core.audit import AuditContext
from core.models import AuditAction, AuditEvent

# The reason recorded on the revocation this module makes (its own email tells the owners).
REVOKED_AS_EXPOSED = "sent_in_url"
EXPOSED_SUBJECT = "Keyportal: API key {name} ({prefix}) was sent in a URL"
MAX_PATH_LENGTH = 500


@dataclass(frozen=True, slots=True)
class ExposureNotice:
    recipients: tuple[str, ...]
    name: str
    prefix: str
    organization: str
    path: str
    ip: str
    at: datetime
    revoked: bool
    keys_link: str


@transaction.atomic
def api_key_mark_exposed(*, key: APIKey, path: str, context: AuditContext) -> bool:
    """Record that `key` (genuine: its digest matched) arrived in a URL; return whether this
    was the first time. Later exposures of the same key add nothing: the owners know."""
    key = lock(key)
    if AuditEvent.objects.filter(api_key=key, action=AuditAction.KEY_EXPOSED).exists():
        return False
    revoking = settings.APIKEYS_REVOKE_KEYS_SENT_IN_URLS and key.effective_status().allows(
        KeyAction.REVOKE
    )
    path = path[:MAX_PATH_LENGTH]
    audit_key(
        key,
        AuditAction.KEY_EXPOSED,
        actor=None,
        acting_key=None,
        context=context,
        details={"where": "url", "path": path, "revoked": revoking},
    )
    if revoking:
        revoke_and_audit(
            key,
            actor=None,
            acting_key=None,
            context=context,
            details={"reason": REVOKED_AS_EXPOSED},
        )
    notice = ExposureNotice(
        recipients=key_watchers(key),
        name=key.name,
        prefix=key.prefix,
        organization=key.organization.name,
        path=path,
        ip=context.ip or "",
        at=timezone.now(),
        revoked=revoking,
        keys_link=keys_link(key.organization_id, key.pk),
    )
    if notice.recipients:
        transaction.on_commit(lambda: send_exposure_notice(notice), robust=True)
    return True


def api_keys_mark_exposed(raw_keys: list[str], *, path: str, context: AuditContext) -> int:
    """Mark the genuine keys among `raw_keys` (well-formed keys a refused URL carried)
    exposed; return how many there were. One query finds them all."""
    found = issued_keys(raw_keys)
    for key in found.values():
        api_key_mark_exposed(key=key, path=path, context=context)
    return len(found)


def send_exposure_notice(notice: ExposureNotice) -> None:
    subject = EXPOSED_SUBJECT.format(name=notice.name, prefix=notice.prefix)
    send_to_each(notice.recipients, subject, "apikeys/email/key_exposed", {"notice": notice})
