"""What a person chooses about the mail Keyportal sends them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NoticePreferences(models.Model):
    """A person's choice about optional notices. No row: every default applies.

    Only reminders can be turned off: security notices (a key created, rotated, revoked or
    leaked, a role changed, two-factor turned off) always go, so that someone acting with a
    stolen account cannot first silence the owners.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    expiry_reminders = models.BooleanField(
        "Email me before my organizations' API keys expire", default=True
    )

    class Meta:
        verbose_name = "notice preferences"
        verbose_name_plural = "notice preferences"

    def __str__(self) -> str:
        return f"Notice preferences of {self.user_id}"
