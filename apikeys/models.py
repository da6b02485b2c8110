"""API keys.

A key's plaintext never reaches this module: a row holds its display prefix (to find it),
an HMAC digest (to check it) and the version of the hashing scheme that made the digest.
Only `apikeys.services` changes a key's state.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from organizations.models import Organization


class Mode(models.TextChoices):
    LIVE = "live", "Live"
    TEST = "test", "Test"


class KeyStatus(models.TextChoices):
    """The stored status. What users see (and what a key allows) is `EffectiveStatus`."""

    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    REVOKED = "revoked", "Revoked"


class KeyAction(models.TextChoices):
    """A change to an existing key that its status may refuse; each has one lifecycle service."""

    PAUSE = "pause", "Pause"
    RESUME = "resume", "Resume"
    ROTATE = "rotate", "Rotate"
    SET_DEFAULT = "set_default", "Set default"
    RENAME = "rename", "Rename"
    REVOKE = "revoke", "Revoke"


class EffectiveStatus(models.TextChoices):
    """The status users see and the services decide by: revoked, else expired, else stored.

    `expired` is never stored: it is computed from `expires_at`. The order is the API's
    `KeyStatusEnum` order.
    """

    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"

    @property
    def allowed_actions(self) -> frozenset[KeyAction]:
        """The actions a key in this status may undergo."""
        return ALLOWED_ACTIONS[self]

    def allows(self, action: KeyAction | str) -> bool:
        """Whether a key in this status may undergo `action` (the services refuse otherwise)."""
        return action in ALLOWED_ACTIONS[self]


# The one table of what each status allows: the services refuse the rest (`refuse_unless`)
# and the pages offer only these. A name stays editable in every state (a revoked key keeps
# its history), and an expired key can still be revoked, which ends it for good.
ALLOWED_ACTIONS: dict[EffectiveStatus, frozenset[KeyAction]] = {
    EffectiveStatus.ACTIVE: frozenset(
        {
            KeyAction.PAUSE,
            KeyAction.ROTATE,
            KeyAction.SET_DEFAULT,
            KeyAction.RENAME,
            KeyAction.REVOKE,
        }
    ),
    EffectiveStatus.PAUSED: frozenset(
        {KeyAction.RESUME, KeyAction.ROTATE, KeyAction.RENAME, KeyAction.REVOKE}
    ),
    EffectiveStatus.EXPIRED: frozenset({KeyAction.RENAME, KeyAction.REVOKE}),
    EffectiveStatus.REVOKED: frozenset({KeyAction.RENAME}),
}


class APIKeyQuerySet(models.QuerySet["APIKey"]):
    def search(self, term: str) -> APIKeyQuerySet:
        """Keys whose name or display prefix contains `term`."""
        return self.filter(models.Q(name__icontains=term) | models.Q(prefix__icontains=term))

    def with_effective_status(self, status: str, *, now: datetime | None = None) -> APIKeyQuerySet:
        """Filter on the status a user sees, where `expired` is computed from `expires_at`."""
        now = now or timezone.now()
        not_expired = models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        if status == EffectiveStatus.EXPIRED:
            return self.exclude(status=KeyStatus.REVOKED).filter(expires_at__lte=now)
        if status == EffectiveStatus.REVOKED:
            return self.filter(status=KeyStatus.REVOKED)
        return self.filter(not_expired, status=status)


class APIKey(models.Model):
    """A credential an integration uses to act for its creator in one organization."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    # The key acts with this user's role; keys must not vanish silently with their creator.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.LIVE)
    prefix = models.CharField(max_length=40, unique=True, editable=False)
    hashed_key = models.CharField(max_length=128, editable=False)
    hash_version = models.PositiveSmallIntegerField(editable=False)
    scopes = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=KeyStatus.choices, default=KeyStatus.ACTIVE)
    is_default = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where the key was last used from, written with `last_used_at` (at most once per
    # interval): the client's address (after trusted proxies) and its user agent, cut short.
    last_used_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    last_used_user_agent = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    rotated_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rotations",
        editable=False,
    )
    rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides APIKEYS_RATE_PER_MINUTE for this key."
    )
    rate_limit_per_hour = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides APIKEYS_RATE_PER_HOUR for this key."
    )

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]
        constraints = [
            # The database, not only the code, holds "at most one default key".
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(is_default=True),
                name="one_default_api_key_per_org",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in KeyStatus]),
                name="api_key_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=[m.value for m in Mode]), name="api_key_mode_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(is_default=True, status=KeyStatus.REVOKED),
                name="revoked_api_key_not_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def effective_status(self, now: datetime | None = None) -> EffectiveStatus:
        """The status users see: revoked wins, then expired, then the stored status."""
        if self.status == KeyStatus.REVOKED:
            return EffectiveStatus.REVOKED
        if self.is_expired(now):
            return EffectiveStatus.EXPIRED
        return EffectiveStatus(self.status)

    @property
    def allowed_actions(self) -> frozenset[KeyAction]:
        """The actions the services would accept on this key now: what the pages offer.

        Its status decides (`ALLOWED_ACTIONS`), and a rotated key, being retired, can neither
        be rotated again nor become the default. Removing the default depends on the flag
        alone (`is_default`), so it is not listed here.
        """
        allowed = self.effective_status().allowed_actions
        if self.is_rotated:
            allowed -= {KeyAction.ROTATE, KeyAction.SET_DEFAULT}
        return allowed

    def is_effective_default(self, now: datetime | None = None) -> bool:
        """Only a usable key is the default: expiry clears the flag as it is read."""
        return self.is_default and self.effective_status(now) == EffectiveStatus.ACTIVE

    @property
    def is_rotated(self) -> bool:
        return self.rotated_at is not None


class NoticeKind(models.TextChoices):
    """The reminders `send_key_notices` sends about a key, most urgent last."""

    EXPIRY_7_DAYS = "expiry_7d", "Expires within 7 days"
    EXPIRY_1_DAY = "expiry_1d", "Expires within 1 day"


class KeyNotice(models.Model):
    """A reminder about a key, recorded in the transaction that sends it.

    The unique (key, kind) pair is the claim: two runs of `send_key_notices` at once both
    try to insert it, the database lets one win, and only the winner sends.
    """

    api_key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    # The expiry the reminder was about, and whether it was mailed or only superseded (a
    # 1-day reminder makes a 7-day one that was never sent pointless).
    expires_at = models.DateTimeField()
    sent = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "kind"], name="one_key_notice_per_kind"),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in NoticeKind]),
                name="key_notice_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.api_key_id}"


class UsagePeriod(models.TextChoices):
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


class KeyUsage(models.Model):
    """A key's requests in one UTC hour, or one UTC day once its hours are rolled up.

    Written by `apikeys.usage` only: from the key's counters (hours, which only grow) and by
    the roll-up (days). The unique (key, period, start) triple is what the upserts meet on.
    """

    api_key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="usage")
    period = models.CharField(max_length=4, choices=UsagePeriod.choices)
    starts_at = models.DateTimeField()
    accepted = models.PositiveBigIntegerField(default=0)
    refused = models.PositiveBigIntegerField(default=0)
    limited = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "key usage"
        verbose_name_plural = "key usage"
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "period", "starts_at"], name="one_key_usage_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period__in=[p.value for p in UsagePeriod]),
                name="key_usage_period_valid",
            ),
        ]
        indexes = [models.Index(fields=["period", "starts_at"], name="key_usage_by_period")]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.period} {self.starts_at:%Y-%m-%d %H:00}"
