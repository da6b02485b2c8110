"""A key reported as leaked: revoked at once, audited with where it was found, owners told.

Reports come from GitHub's secret scanning (`reporter="github"`) and from anyone who finds
a key (`reporter="public"`), through `apikeys.leaks`, which has already checked that the key
is genuine. No person acts here: the events name no actor, and the key's `revoked_by` stays
empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apikeys.mail import key_watchers, keys_link, send_to_each
from apikeys.models import APIKey, KeyAction
from apikeys.services._common import audit_key, lock, revoke_and_audit
from core.audit import AuditContext
from core.models import AuditAction

# The reason recorded on the revocation this module makes (its own email tells the owners).
REVOKED_AS_LEAKED = "reported_leaked"
REPORTER_GITHUB = "github"
REPORTER_PUBLIC = "public"
# How each reporter is named to the owners.
REPORTERS = {REPORTER_GITHUB: "GitHub secret scanning", REPORTER_PUBLIC: "a public leak report"}

LEAKED_SUBJECT = "Keyportal: API key {name} ({prefix}) leaked and revoked"
# What a report may record of where the key was seen: enough to find it, bounded in size.
MAX_URL_LENGTH = 2000
MAX_SOURCE_LENGTH = 200


@dataclass(frozen=True, slots=True)
class LeakNotice:
    """What the email says, read inside the transaction so it is sent as it was committed."""

    recipients: tuple[str, ...]
    name: str
    prefix: str
    organization: str
    revoked_at: datetime
    url: str
    source: str
    reporter: str
    keys_link: str


@transaction.atomic
def api_key_report_leaked(
    *, key: APIKey, source: str, url: str, reporter: str, context: AuditContext
) -> bool:
    """Record that `key` (genuine: its digest matched) was found leaked, and revoke it.

    Audits `api_key.reported_leaked` with where it was found (never the key). A key not yet
    revoked (active, paused or expired) is revoked as `api_key_revoke` does, and once the
    transaction commits the organization's owners and the key's creator are emailed. A key
    already revoked (a replayed report, a second finder) is audited as reported again, but
    neither revoked nor mailed twice. Returns whether this report revoked the key.
    """
    if reporter not in REPORTERS:
        raise ValueError(f"unknown reporter {reporter!r}")
    # The key row alone, under the lock every lifecycle service takes: a report racing a
    # revoke (or a replay racing the original) sees the other's committed state.
    key = lock(key)
    details = {
        "reporter": reporter,
        "source": (source or "")[:MAX_SOURCE_LENGTH],
        "url": (url or "")[:MAX_URL_LENGTH],
    }
    revoking = key.effective_status().allows(KeyAction.REVOKE)
    audit_key(
        key,
        AuditAction.KEY_REPORTED_LEAKED,
        actor=None,
        acting_key=None,
        context=context,
        details={**details, "revoked": revoking},
    )
    if not revoking:
        return False
    revoke_and_audit(
        key,
        actor=None,
        acting_key=None,
        context=context,
        details={"reason": REVOKED_AS_LEAKED, "reporter": reporter},
    )
    notice = _notice(key, details)
    if notice.recipients:
        # `robust`: the key is revoked whatever the mail server does; a failure is logged.
        transaction.on_commit(lambda: send_leak_notice(notice), robust=True)
    return True


def _notice(key: APIKey, details: dict[str, str]) -> LeakNotice:
    recipients = key_watchers(key)
    return LeakNotice(
        recipients=recipients,
        name=key.name,
        prefix=key.prefix,
        organization=key.organization.name,
        revoked_at=key.revoked_at,
        url=details["url"],
        source=details["source"],
        reporter=REPORTERS[details["reporter"]],
        keys_link=keys_link(key.organization_id, key.pk),
    )


def send_leak_notice(notice: LeakNotice) -> None:
    """Email the leak notice to each recipient."""
    subject = LEAKED_SUBJECT.format(name=notice.name, prefix=notice.prefix)
    send_to_each(notice.recipients, subject, "apikeys/email/key_leaked", {"notice": notice})
