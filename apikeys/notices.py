"""Notices by email: what is sent to whom about keys, members and two-factor.

Security notices follow committed audit events (connected in `APIKeysConfig.ready` to
`AuditEvent`'s `post_save`, sent on commit as `apikeys.live` streams them): a key created,
rotated or revoked, a member's role changed, two-factor turned off. They go to the
organization's owners and the key's creator, always (no one can opt out, so a stolen
account cannot silence them first). A key reported as leaked is mailed by
`apikeys.services.leaked` itself, so its revocation sends nothing here.

Expiry reminders (7 days and 1 day before) are sent by `apikeys.services.reminders`, to
the key's creator and the owners who have not turned reminders off.

Every notice goes to active people with a verified address, each in a message of their own
(owners need not learn each other's addresses), and links to the organization's keys page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from apikeys.mail import keys_link, mailable, owners_of, send_to_each
from apikeys.models import APIKey, NoticeKind
from apikeys.services.exposed import REVOKED_AS_EXPOSED
from apikeys.services.leaked import REVOKED_AS_LEAKED
from core.models import AuditAction, AuditEvent
from organizations.models import Membership, User
from organizations.selectors import members_of

logger = logging.getLogger(__name__)

# Revocations whose own service already emailed the owners (a leak report, a key in a URL).
SELF_ANNOUNCED_REVOCATIONS = (REVOKED_AS_LEAKED, REVOKED_AS_EXPOSED)
# `accounts.NoticePreferences`, reached through its relation to the user: `apikeys` never
# imports `accounts` (see the README's Layout).
REMINDERS_OFF = "notice_preferences__expiry_reminders"

SECURITY_SUBJECTS = {
    AuditAction.KEY_CREATED: "Keyportal: API key {name} ({prefix}) created in {organization}",
    AuditAction.KEY_ROTATED: "Keyportal: API key {name} ({prefix}) rotated in {organization}",
    AuditAction.KEY_REVOKED: "Keyportal: API key {name} ({prefix}) revoked in {organization}",
    AuditAction.MEMBER_ROLE_CHANGED: "Keyportal: a member's role changed in {organization}",
    AuditAction.USER_TWO_FACTOR_DISABLED: (
        "Keyportal: {person} turned two-factor authentication off"
    ),
}
# The first sentence of each notice.
SECURITY_SUMMARIES = {
    AuditAction.KEY_CREATED: "A new API key {name} ({prefix}) was created in {organization}.",
    AuditAction.KEY_ROTATED: "The API key {name} ({prefix}) of {organization} was rotated.",
    AuditAction.KEY_REVOKED: (
        "The API key {name} ({prefix}) of {organization} was revoked: every request with it "
        "is refused from now on."
    ),
    AuditAction.MEMBER_ROLE_CHANGED: "{member}'s role in {organization} changed.",
    AuditAction.USER_TWO_FACTOR_DISABLED: (
        "{person}, a member of {organization}, turned two-factor authentication off: their "
        "account is now protected by their password alone."
    ),
}
SECURITY_ADVICE = (
    "If you do not recognise this change, revoke the keys involved and check the audit log."
)
KEY_LINK_LABEL = "Open the key's page"
KEYS_LINK_LABEL = "Open your API keys"
NO_ACTOR = "Keyportal (no person)"
NO_IP = "not recorded"

REMINDER_SUBJECT = "Keyportal: API key {name} ({prefix}) expires {when}"
REMINDER_WHEN = {NoticeKind.EXPIRY_7_DAYS: "within 7 days", NoticeKind.EXPIRY_1_DAY: "within a day"}
REMINDER_ADVICE = (
    "Create a replacement key and move the integrations that use this one before it expires: "
    "after that, every request with it is refused."
)
REMINDERS_OFF_NOTE = "You can turn expiry reminders off on the Notices page of your account."


@dataclass(frozen=True, slots=True)
class Notice:
    """One email, as it will be sent to each recipient on their own."""

    recipients: tuple[str, ...]
    subject: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def send(notices: Iterable[Notice]) -> None:
    """Send each notice to each of its recipients on their own. Raises what the mail
    backend raises."""
    for notice in notices:
        if notice.recipients:
            send_to_each(notice.recipients, notice.subject, notice.template, notice.context)


# Security notices ------------------------------------------------------------------------


def is_security_event(event: AuditEvent) -> bool:
    """Whether `event` warrants a security notice (a leak's revocation mails on its own)."""
    if event.action not in SECURITY_SUBJECTS:
        return False
    return not (
        event.action == AuditAction.KEY_REVOKED
        and event.details.get("reason") in SELF_ANNOUNCED_REVOCATIONS
    )


def notify_on_commit(sender: type, instance: AuditEvent, created: bool, **_: Any) -> None:
    """On commit, mail the security notice a new event warrants (never for a rollback)."""
    if created and is_security_event(instance):
        transaction.on_commit(partial(send_security_notices, instance))


def send_security_notices(event: AuditEvent) -> None:
    """Mail the notices `event` warrants. The action is done and audited: a failing mail
    server costs a warning in the log, never the action."""
    try:
        send(security_notices(event))
    except Exception as error:
        logger.warning(
            "security notice: audit event %s (%s) was not mailed (%s)",
            event.pk,
            event.action,
            error,
        )


def security_notices(event: AuditEvent) -> list[Notice]:
    """The notices `event` warrants: one per organization concerned, or none."""
    if not is_security_event(event):
        return []
    if event.action == AuditAction.USER_TWO_FACTOR_DISABLED:
        if event.actor_id is None:
            return []
        memberships = Membership.objects.filter(user_id=event.actor_id).select_related(
            "organization"
        )
        return [
            _security_notice(event, m.organization, recipients=owners_of(m.organization_id))
            for m in memberships.order_by("organization__name", "organization_id")
        ]
    if event.organization_id is None:
        return []
    organization = event.organization
    people: list[User | None] = list(owners_of(organization.pk))
    if event.action == AuditAction.MEMBER_ROLE_CHANGED:
        # The member too: an owner demoted by a stolen account is an owner no longer.
        people += [
            m.user for m in members_of(organization).filter(user__email=event.details.get("user"))
        ]
    elif event.api_key_id is not None:
        people.append(event.api_key.created_by)
    return [_security_notice(event, organization, recipients=people)]


def _security_notice(event: AuditEvent, organization: Any, *, recipients: Iterable) -> Notice:
    key = event.api_key if event.api_key_id is not None else None
    names = {
        "organization": organization.name,
        "name": key.name if key else "",
        "prefix": key.prefix if key else event.key_prefix,
        "member": event.details.get("user", ""),
        "person": event.actor_email or NO_ACTOR,
    }
    action = AuditAction(event.action)
    return Notice(
        recipients=mailable(recipients),
        subject=SECURITY_SUBJECTS[action].format(**names),
        template="apikeys/email/security_notice",
        context={
            "heading": action.label,
            "summary": SECURITY_SUMMARIES[action].format(**names),
            "who": event.actor_email or NO_ACTOR,
            "when": event.created_at,
            "ip": event.ip or NO_IP,
            "rows": _detail_rows(event),
            "advice": SECURITY_ADVICE,
            "keys_link": keys_link(organization.pk, key.pk if key else None),
            "link_label": KEY_LINK_LABEL if key else KEYS_LINK_LABEL,
        },
    )


def _detail_rows(event: AuditEvent) -> list[tuple[str, str]]:
    """What else the event says, as labelled rows (never a secret: audit details hold none)."""
    details = event.details
    if event.action == AuditAction.KEY_ROTATED:
        return [
            ("New key", details.get("new_key", "")),
            ("Old key works until", details.get("old_key_valid_until", "")),
        ]
    if event.action == AuditAction.MEMBER_ROLE_CHANGED:
        return [
            ("Member", details.get("user", "")),
            ("Role", f"{details.get('from', '')} → {details.get('to', '')}"),
        ]
    if event.action == AuditAction.KEY_CREATED:
        return [
            ("Scopes", ", ".join(details.get("scopes") or []) or "none"),
            ("Expires", details.get("expires_at") or "never"),
        ]
    if event.action == AuditAction.KEY_REVOKED and details.get("reason"):
        return [("Reason", str(details["reason"]).replace("_", " "))]
    return []


# Expiry reminders ------------------------------------------------------------------------


def reminder_notice(key: APIKey, kind: NoticeKind, *, now: datetime | None = None) -> Notice:
    """The reminder that `key` expires soon, to its creator and the owners, less those who
    turned reminders off."""
    people = [*owners_of(key.organization_id), key.created_by]
    wanted = User.objects.filter(pk__in=[p.pk for p in people]).exclude(**{REMINDERS_OFF: False})
    allowed = set(wanted.values_list("pk", flat=True))
    return Notice(
        recipients=mailable(p for p in people if p.pk in allowed),
        subject=REMINDER_SUBJECT.format(name=key.name, prefix=key.prefix, when=REMINDER_WHEN[kind]),
        template="apikeys/email/expiry_reminder",
        context={
            "name": key.name,
            "prefix": key.prefix,
            "organization": key.organization.name,
            "expires_at": key.expires_at,
            "now": now or timezone.now(),
            "advice": REMINDER_ADVICE,
            "preferences_note": REMINDERS_OFF_NOTE,
            "keys_link": keys_link(key.organization_id, key.pk),
        },
    )
