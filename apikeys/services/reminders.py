"""Expiry reminders: a key expiring within 7 days, then within a day, told once each.

`send_key_notices` runs `expiry_reminders_send` every few minutes. Each reminder is claimed
by inserting its `KeyNotice` row (unique per key and kind) and mailed in the same
transaction: of two runs at once, the database lets one insert the row and the other gets
an integrity error (on PostgreSQL it waits for the first to commit, then gets it), so no
reminder goes twice. A mail server that fails rolls the claim back with the transaction,
and the next run tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apikeys.models import APIKey, KeyNotice, KeyStatus, NoticeKind
from apikeys.notices import reminder_notice, send

logger = logging.getLogger(__name__)

# Most urgent first: a key inside both windows gets only the 1-day reminder.
WINDOWS: tuple[tuple[NoticeKind, timedelta], ...] = (
    (NoticeKind.EXPIRY_1_DAY, timedelta(days=1)),
    (NoticeKind.EXPIRY_7_DAYS, timedelta(days=7)),
)
LONGEST = max(window for _, window in WINDOWS)


@dataclass(frozen=True, slots=True)
class ReminderRun:
    """What one run did: reminders mailed, and reminders whose mail failed (retried)."""

    sent: int = 0
    failed: int = 0


def due_kind(key: APIKey, now: datetime) -> NoticeKind | None:
    """The reminder `key` is due now, if any: revoked, rotated (its replacement carries the
    expiry and gets its own) and expired keys get none."""
    if key.status == KeyStatus.REVOKED or key.is_rotated or key.expires_at is None:
        return None
    return _window(key.expires_at - now)


def _window(left: timedelta) -> NoticeKind | None:
    if left <= timedelta(0):
        return None
    return next((kind for kind, window in WINDOWS if left <= window), None)


def expiry_reminders_send(*, now: datetime | None = None) -> ReminderRun:
    """Send every expiry reminder due at `now` that no run has sent; return the counts."""
    now = now or timezone.now()
    had = {
        kind.value: Exists(KeyNotice.objects.filter(api_key=OuterRef("pk"), kind=kind))
        for kind, _ in WINDOWS
    }
    candidates = (
        APIKey.objects.filter(
            expires_at__gt=now, expires_at__lte=now + LONGEST, rotated_at__isnull=True
        )
        .exclude(status=KeyStatus.REVOKED)
        .annotate(**had)
        .values("pk", "expires_at", *had)
    )
    due = []
    for row in candidates:
        kind = _window(row["expires_at"] - now)
        if kind is not None and not row[kind.value]:
            due.append(row["pk"])
    sent = failed = 0
    for key_id in due:
        try:
            sent += _remind(key_id, now=now)
        except Exception as error:  # the claim was rolled back: the next run retries
            failed += 1
            logger.warning("expiry reminder for key %s was not mailed (%s)", key_id, error)
    return ReminderRun(sent=sent, failed=failed)


@transaction.atomic
def _remind(key_id: object, *, now: datetime) -> int:
    """Claim and mail the reminder key `key_id` is due, in one transaction; return 1 if this
    run sent it, 0 if it was not due or another run has it."""
    key = APIKey.objects.select_related("organization", "created_by").filter(pk=key_id).first()
    kind = None if key is None else due_kind(key, now)
    if kind is None:
        return 0
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves this transaction usable
            KeyNotice.objects.create(api_key=key, kind=kind, expires_at=key.expires_at)
    except IntegrityError:
        return 0  # another run claimed it (and sends it, or has)
    # A less urgent reminder not yet sent is pointless now: mark it done, unsent.
    kinds = [each for each, _ in WINDOWS]
    for lesser in kinds[kinds.index(kind) + 1 :]:
        KeyNotice.objects.get_or_create(
            api_key=key, kind=lesser, defaults={"expires_at": key.expires_at, "sent": False}
        )
    send([reminder_notice(key, kind, now=now)])
    return 1
