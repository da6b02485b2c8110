"""API keys and the append-only audit trail.

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
    """The stored status. `expired` is never stored: it is computed from `expires_at`."""

    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    REVOKED = "revoked", "Revoked"

    @classmethod
    def choices_with_expired(cls) -> list[tuple[str, str]]:
        return [*cls.choices, (EXPIRED, "Expired")]


EXPIRED = "expired"


class APIKeyQuerySet(models.QuerySet["APIKey"]):
    def search(self, term: str) -> APIKeyQuerySet:
        """Keys whose name or display prefix contains `term`."""
        return self.filter(models.Q(name__icontains=term) | models.Q(prefix__icontains=term))

    def with_effective_status(self, status: str, *, now: datetime | None = None) -> APIKeyQuerySet:
        """Filter on the status a user sees, where `expired` is computed from `expires_at`."""
        now = now or timezone.now()
        not_expired = models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        if status == EXPIRED:
            return self.exclude(status=KeyStatus.REVOKED).filter(expires_at__lte=now)
        if status == KeyStatus.REVOKED:
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

    def effective_status(self, now: datetime | None = None) -> str:
        """The status users see: revoked wins, then expired, then the stored status."""
        if self.status == KeyStatus.REVOKED:
            return KeyStatus.REVOKED
        if self.is_expired(now):
            return EXPIRED
        return self.status

    def is_effective_default(self, now: datetime | None = None) -> bool:
        """Only a usable key is the default: expiry clears the flag as it is read."""
        return self.is_default and self.effective_status(now) == KeyStatus.ACTIVE

    @property
    def is_rotated(self) -> bool:
        return self.rotated_at is not None


class AuditAction(models.TextChoices):
    KEY_CREATED = "api_key.created", "Key created"
    KEY_RENAMED = "api_key.renamed", "Key renamed"
    KEY_PAUSED = "api_key.paused", "Key paused"
    KEY_RESUMED = "api_key.resumed", "Key resumed"
    KEY_DEFAULT_SET = "api_key.default_set", "Default set"
    KEY_DEFAULT_REMOVED = "api_key.default_removed", "Default removed"
    KEY_ROTATED = "api_key.rotated", "Key rotated"
    KEY_REVOKED = "api_key.revoked", "Key revoked"
    KEY_RATE_LIMITS_CHANGED = "api_key.rate_limits_changed", "Rate limits changed"
    KEY_TRANSFERRED = "api_key.transferred", "Key transferred"
    MEMBER_ADDED = "member.added", "Member added"
    MEMBER_ROLE_CHANGED = "member.role_changed", "Member role changed"
    MEMBER_REMOVED = "member.removed", "Member removed"
    ORGANIZATION_CREATED = "organization.created", "Organization created"


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One thing that happened to a key, a member or an organization. Never changed."""

    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_key = models.ForeignKey(
        APIKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        APIKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    key_prefix = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_email or 'system'}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")
