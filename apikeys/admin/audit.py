"""The audit trail in the admin: read-only, whatever the staff user's permissions say."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from core.models import AuditEvent
from organizations.admin.secrets import HidesSecretFields


@admin.register(AuditEvent)
class AuditEventAdmin(HidesSecretFields, admin.ModelAdmin):
    """List and inspect audit events; nobody adds, changes or deletes them here."""

    list_display = (
        "created_at",
        "action",
        "organization",
        "actor_email",
        "key_prefix",
        "ip",
        "request_id",
    )
    list_filter = ("action", "organization", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("key_prefix", "actor_email")
    list_select_related = ("organization",)
    readonly_fields = (
        "created_at",
        "action",
        "organization",
        "actor",
        "actor_email",
        "actor_key",
        "api_key",
        "key_prefix",
        "ip",
        "request_id",
        "details",
    )
    fields = readonly_fields

    # Viewing needs active staff (admin_site.has_permission), whom can_read_audit allows as admins.

    # The trail is append-only (the model refuses updates and deletes too); the admin must
    # not even offer them, or a staff user with broad permissions would meet a 500.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
