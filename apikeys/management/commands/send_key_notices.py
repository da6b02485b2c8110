"""`send_key_notices`: send the expiry reminders that are due and keep keys' usage; safe to
run every few minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from apikeys.services.reminders import expiry_reminders_send
from apikeys.usage import usage_roll_up, usage_sweep

SENT = "Sent {sent} expiry reminder(s)."
FAILED = "{failed} reminder(s) could not be mailed; the next run tries them again."
USAGE_KEPT = "Stored {hours} hour(s) of key usage; rolled {days} key-day(s) up."


class Command(BaseCommand):
    help = (
        "Email the expiry reminders that are due (a key expiring within 7 days, then within "
        "a day) to each key's creator and its organization's owners, store the usage counted "
        "since each key's last request wrote it, and roll hours older than "
        "APIKEYS_USAGE_HOURS_KEPT_DAYS into days. Each reminder is sent once and each hour "
        "counted once, even when two runs overlap: run it from cron or a systemd timer every "
        "few minutes (at least hourly, or the usage of a key gone quiet is lost)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = expiry_reminders_send()
        self.stdout.write(SENT.format(sent=run.sent))
        if run.failed:
            self.stderr.write(FAILED.format(failed=run.failed))
        now = timezone.now()
        hours = usage_sweep(now)
        days = usage_roll_up(now)
        self.stdout.write(USAGE_KEPT.format(hours=hours, days=days))
