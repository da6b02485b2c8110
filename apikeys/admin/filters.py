"""List filters and list cells for the API-key admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apikeys.models import APIKey, EffectiveStatus

# Colours follow the portal's badges (static/portal/portal.css), which the admin does not load.
BADGE_COLOURS = {
    EffectiveStatus.ACTIVE: ("#e7f6ec", "#1e7b3a"),
    EffectiveStatus.PAUSED: ("#fff4e5", "#9a5b00"),
    EffectiveStatus.REVOKED: ("#fdecec", "#b42318"),
    EffectiveStatus.EXPIRED: ("#eef0f3", "#5d6673"),
}
STATUS_LABELS = dict(EffectiveStatus.choices)


def status_badge(status: str) -> SafeString:
    """Render an effective status as a coloured badge."""
    background, colour = BADGE_COLOURS.get(status, ("#eef0f3", "#5d6673"))
    return format_html(
        '<span class="badge badge-{}" style="background:{};color:{};padding:1px 8px;'
        'border-radius:999px;font-weight:600;white-space:nowrap">{}</span>',
        status,
        background,
        colour,
        STATUS_LABELS.get(status, status),
    )


class EffectiveStatusFilter(admin.SimpleListFilter):
    """Filter on the status users see, where "expired" is computed from the expiry."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return EffectiveStatus.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> QuerySet[APIKey]:
        value = self.value()
        if value in STATUS_LABELS:
            return queryset.with_effective_status(value)
        return queryset
