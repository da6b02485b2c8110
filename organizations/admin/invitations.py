"""The invitation admin: read-only, with one action, revoking, made through the service.

Staff see who was invited where, with which role and in which state; never a token (only its
digest is stored, and even that is kept out of every column, filter and search).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.audit import AuditContext
from core.errors import DomainError
from organizations import services
from organizations.admin.secrets import HidesSecretFields
from organizations.models import Invitation

REVOKED = "{count} invitation(s) revoked."
NOT_REVOKED = "{email}: {message}"


@admin.register(Invitation)
class InvitationAdmin(HidesSecretFields, admin.ModelAdmin):
    """List invitations; revoke pending ones under the role rules (`invitation_revoke`)."""

    list_display = (
        "email",
        "organization",
        "role",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "role")
    search_fields = ("email", "organization__name")
    list_select_related = ("organization", "invited_by")
    ordering = ("-created_at",)
    fields = (
        "organization",
        "email",
        "role",
        "status",
        "invited_by",
        "by_operator",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_by",
        "accepted_at",
        "revoked_by",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Invitations are sent from the Members page, the API or `manage.py invite`.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the record of who was invited stays

    @admin.action(description="Revoke the selected pending invitations", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        context = AuditContext.from_request(request)
        revoked = 0
        for invitation in queryset.select_related("organization"):
            try:
                services.invitation_revoke(
                    invitation=invitation, actor=request.user, acting_key=None, context=context
                )
            except DomainError as error:
                message = NOT_REVOKED.format(email=invitation.email, message=error.message)
                messages.error(request, message)
            else:
                revoked += 1
        if revoked:
            messages.success(request, REVOKED.format(count=revoked))
