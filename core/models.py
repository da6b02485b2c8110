"""The append-only audit trail: one event per thing that happened to a key, a member or an
organization, written by the services in the same transaction as the change.

`core` imports no other app: the event points at organizations, users and keys through
lazy model references only. The table keeps the name it had in `apikeys`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


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
    KEY_REPORTED_LEAKED = "api_key.reported_leaked", "Key reported as leaked"
    KEY_EXPOSED = "api_key.exposed", "Key sent in a URL"
    MEMBER_ADDED = "member.added", "Member added"
    MEMBER_ROLE_CHANGED = "member.role_changed", "Member role changed"
    MEMBER_REMOVED = "member.removed", "Member removed"
    ORGANIZATION_CREATED = "organization.created", "Organization created"
    ORGANIZATION_TWO_FACTOR_CHANGED = "organization.two_factor_changed", "Two-factor rule changed"
    INVITATION_CREATED = "invitation.created", "Invitation sent"
    INVITATION_RESENT = "invitation.resent", "Invitation sent again"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
    INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
    INVITATION_EXPIRED = "invitation.expired", "Invitation expired"
    USER_SIGNED_UP = "user.signed_up", "Account created"
    USER_PASSWORD_CHANGED = "user.password_changed", "Password changed"
    USER_PASSWORD_RESET = "user.password_reset", "Password reset"
    USER_TWO_FACTOR_ENABLED = "user.two_factor_enabled", "Two-factor turned on"
    USER_TWO_FACTOR_DISABLED = "user.two_factor_disabled", "Two-factor turned off"


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One thing that happened to a key, a member or an organization. Never changed."""

    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.SET_NULL,
        null=True,
        related_name="audit_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_key = models.ForeignKey(
        "apikeys.APIKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        "apikeys.APIKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    key_prefix = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        db_table = "apikeys_auditevent"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "-created_at"], name="apikeys_aud_organiz_bc0371_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_email or 'system'}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")
