"""Account events on the audit trail: the only code in `accounts` that writes.

allauth changes the account itself (passwords, authenticators); these services record that
it happened, with no organization: the event is about the person, wherever they belong.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import NoticePreferences
from core.audit import AuditContext, record
from core.models import AuditAction
from organizations.models import User


@transaction.atomic
def account_event_record(
    *,
    user: User,
    action: AuditAction,
    context: AuditContext,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one account event (sign-up, password or two-factor change) for `user`."""
    record(
        action,
        actor=user,
        acting_key=None,
        organization=None,
        context=context,
        details=details or {},
    )


@transaction.atomic
def notice_preferences_set(*, user: User, expiry_reminders: bool) -> None:
    """Record whether `user` wants expiry reminders (security notices always go).

    Only the person themselves changes this (the page acts for the signed-in user alone),
    and it changes no one's access, so it is not an audit event.
    """
    NoticePreferences.objects.update_or_create(
        user=user, defaults={"expiry_reminders": expiry_reminders}
    )
