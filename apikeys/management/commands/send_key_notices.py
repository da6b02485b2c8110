"""`send_key_notices`: send the expiry reminders that are due; safe to run every few minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apikeys.services.reminders import expiry_reminders_send

SENT = "Sent {sent} expiry reminder(s)."
FAILED = "{failed} reminder(s) could not be mailed; the next run tries them again."


class Command(BaseCommand):
    help = (
        "Email the expiry reminders that are due (a key expiring within 7 days, then within "
        "a day) to each key's creator and its organization's owners. Each is sent once, "
        "even when two runs overlap: run it from cron or a systemd timer every few minutes."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = expiry_reminders_send()
        self.stdout.write(SENT.format(sent=run.sent))
        if run.failed:
            self.stderr.write(FAILED.format(failed=run.failed))
