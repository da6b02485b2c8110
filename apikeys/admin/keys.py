"""The API-key admin: a window onto the lifecycle services, never around them.

- Adding a key calls `api_key_create` and shows the plaintext once, on a page fed from the
  server-side session (never a message, a cookie or a URL), then never again.
- The change form edits the name only, through `api_key_rename`.
- The revoke, pause and resume actions call their services with the staff user as actor,
  so each change is role-checked and audited; a refusal becomes an error message per key.
- Keys are never deleted: revoke them instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.views.decorators.debug import sensitive_variables

from apikeys import services, show_once
from apikeys.admin.filters import EffectiveStatusFilter, status_badge
from apikeys.admin.forms import APIKeyAdminCreateForm, APIKeyChangeForm
from apikeys.models import APIKey
from apikeys.usage_buckets import summed
from apikeys.usage_selectors import usage_series
from core.audit import AuditContext
from core.errors import DomainError
from organizations.admin.secrets import HidesSecretFields

CHANGE_REFUSED = "The change was not saved: {message}"
ACTION_DONE = {
    "revoke": "Revoked {count} API key(s).",
    "pause": "Paused {count} API key(s).",
    "resume": "Resumed {count} API key(s).",
}
ACTION_REFUSED = "{prefix}: {message}"
USAGE_SUMMARY = "{} accepted, {} refused, {} rate-limited"

_CHANGE_FIELDS = (
    (
        "Key",
        {"fields": ("name", "prefix", "organization", "created_by", "mode", "scopes_display")},
    ),
    (
        "Status",
        {
            "fields": (
                "status_display",
                "default_display",
                "expires_at",
                "last_used_at",
                "last_used_ip",
                "last_used_user_agent",
                "usage_display",
                "created_at",
                "paused_at",
                "revoked_at",
                "revoked_by",
                "rotated_from",
                "rotated_at",
                "audit_link",
            )
        },
    ),
    (
        "Limits and storage",
        {"fields": ("rate_limit_per_minute", "rate_limit_per_hour", "hash_version")},
    ),
)
_EDITABLE = ("name", "rate_limit_per_minute", "rate_limit_per_hour")
_ADD_FIELDS = (
    (None, {"fields": ("organization", "created_by", "name", "mode", "scopes", "expires_at")}),
)


@admin.register(APIKey)
class APIKeyAdmin(HidesSecretFields, admin.ModelAdmin):
    """Let staff list, rename, pause, resume and revoke keys; never display a digest."""

    form = APIKeyChangeForm
    list_display = (
        "name",
        "prefix",
        "organization",
        "created_by",
        "mode",
        "status_display",
        "default_display",
        "expires_at",
        "last_used_at",
    )
    list_filter = (EffectiveStatusFilter, "mode", "organization")
    search_fields = ("prefix", "name", "organization__name", "created_by__email")
    list_select_related = ("organization", "created_by")
    actions = ("revoke_keys", "pause_keys", "resume_keys")
    fieldsets = _CHANGE_FIELDS
    show_full_result_count = True

    # Reads --------------------------------------------------------------------------

    def get_readonly_fields(self, request: HttpRequest, obj: APIKey | None = None) -> list[str]:
        fields = [name for _, options in _CHANGE_FIELDS for name in options["fields"]]
        return [name for name in fields if name not in _EDITABLE]

    @admin.display(description="Status", ordering="status")
    def status_display(self, key: APIKey) -> SafeString:
        return status_badge(key.effective_status())

    @admin.display(description="Scopes")
    def scopes_display(self, key: APIKey) -> str:
        return ", ".join(key.scopes) or "none"

    @admin.display(description="Default", boolean=True, ordering="is_default")
    def default_display(self, key: APIKey) -> bool:
        return key.is_effective_default()

    @admin.display(description="Usage, last 30 days")
    def usage_display(self, key: APIKey) -> SafeString:
        now = timezone.now()
        days = usage_series(
            key, granularity="day", since=now - timedelta(days=29), until=now, now=now
        )
        total = summed(days)
        page = reverse("api-key-detail", args=[key.organization_id, key.pk])
        return format_html(
            USAGE_SUMMARY + ' (<a href="{}">charts on the key\'s page</a>)',
            total.accepted,
            total.refused,
            total.limited,
            page,
        )

    @admin.display(description="Audit trail")
    def audit_link(self, key: APIKey) -> SafeString:
        url = reverse("admin:core_auditevent_changelist") + "?" + urlencode({"q": key.prefix})
        return format_html('<a href="{}">Audit events for {}</a>', url, key.prefix)

    def has_delete_permission(self, request: HttpRequest, obj: APIKey | None = None) -> bool:
        # Nothing is ever lost: a key's history outlives it. Revoke instead.
        return False

    # Adding: through api_key_create, plaintext shown once -------------------------------

    def get_urls(self) -> list[URLPattern]:
        created = path(
            "<uuid:key_id>/created/",
            self.admin_site.admin_view(self.created_view),
            name="apikeys_apikey_created",
        )
        return [created, *super().get_urls()]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """Create a key through the service; its refusals come back as form errors."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = APIKeyAdminCreateForm(request.POST)
            if form.is_valid():
                response = self._create(request, form)
                if response is not None:
                    return response
        else:
            initial = {"created_by": request.user.pk, "scopes": settings.APIKEYS_DEFAULT_SCOPES}
            form = APIKeyAdminCreateForm(initial=initial)
        admin_form = helpers.AdminForm(form, list(_ADD_FIELDS), {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": "Add API key",
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            # Every save leads to the show-once page, so one button says it all.
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    @sensitive_variables()
    def _create(self, request: HttpRequest, form: APIKeyAdminCreateForm) -> HttpResponse | None:
        data = form.cleaned_data
        try:
            key, raw = services.api_key_create(
                organization=data["organization"],
                actor=request.user,
                created_by=data["created_by"],
                name=data["name"],
                mode=data["mode"],
                scopes=data["scopes"],
                expires_at=data["expires_at"],
                context=AuditContext.from_request(request),
                acting_key=None,
            )
        except DomainError as error:
            form.apply_error(error)
            return None
        self.log_addition(request, key, [{"added": {}}])
        # The cache carries the plaintext to exactly one page view; if it failed, this
        # response shows it instead.
        if not show_once.stash(request, key, raw):
            return self.created_response(request, key, raw)
        return HttpResponseRedirect(
            reverse("admin:apikeys_apikey_created", kwargs={"key_id": key.pk})
        )

    @sensitive_variables()
    def created_view(self, request: HttpRequest, key_id: UUID) -> HttpResponse:
        """Show a new key's plaintext once; every later visit says it is gone."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        key = self.get_queryset(request).select_related("organization").filter(pk=key_id).first()
        waiting = show_once.take(request, key_id=key_id)
        return self.created_response(request, key, waiting["raw"] if waiting else None)

    @sensitive_variables()
    def created_response(
        self, request: HttpRequest, key: APIKey | None, raw: str | None
    ) -> HttpResponse:
        """The page that shows `raw` once (or says it is gone), never cached."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API key created" if raw else "API key",
            "key": key,
            "raw": raw if key is not None else None,
            "shown_once": show_once.SHOWN_ONCE,
            "no_longer_shown": show_once.NO_LONGER_SHOWN,
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, "admin/apikeys/apikey/created.html", context)
        # admin_view adds never_cache too; this page must not depend on that default.
        response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response

    # Changing: the name and the rate limits, through the services ---------------------

    def save_model(self, request: HttpRequest, obj: APIKey, form: Any, change: bool) -> None:
        if not change:
            return
        context, data = AuditContext.from_request(request), form.cleaned_data
        try:
            if "name" in form.changed_data:
                services.api_key_rename(
                    key=obj, actor=request.user, name=data["name"], context=context, acting_key=None
                )
            if {"rate_limit_per_minute", "rate_limit_per_hour"} & set(form.changed_data):
                services.api_key_set_rate_limits(
                    key=obj,
                    actor=request.user,
                    per_minute=data["rate_limit_per_minute"],
                    per_hour=data["rate_limit_per_hour"],
                    context=context,
                    acting_key=None,
                )
        except DomainError as error:
            self.message_user(
                request, CHANGE_REFUSED.format(message=error.message), level=messages.ERROR
            )

    # Actions: one service call per key -------------------------------------------------

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[APIKey],
        verb: str,
        service: Callable[..., APIKey],
    ) -> None:
        context = AuditContext.from_request(request)
        done = 0
        for key in queryset.select_related(None).order_by("created_at"):
            try:
                service(key=key, actor=request.user, acting_key=None, context=context)
            except DomainError as error:
                message = ACTION_REFUSED.format(prefix=key.prefix, message=error.message)
                self.message_user(request, message, level=messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, ACTION_DONE[verb].format(count=done), messages.SUCCESS)

    @admin.action(description="Revoke selected API keys (cannot be undone)", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> HttpResponse | None:
        # Revocation is final, so it asks first, like Django's own delete action.
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Revoke API keys?",
                "keys": list(queryset.select_related("organization")),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(
                request, "admin/apikeys/apikey/revoke_confirmation.html", context
            )
        self._apply(request, queryset, "revoke", services.api_key_revoke)
        return None

    @admin.action(description="Pause selected API keys", permissions=["change"])
    def pause_keys(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        self._apply(request, queryset, "pause", services.api_key_pause)

    @admin.action(description="Resume selected API keys", permissions=["change"])
    def resume_keys(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        self._apply(request, queryset, "resume", services.api_key_resume)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
