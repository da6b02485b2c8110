"""Reads of API keys and audit events, always scoped to what the caller may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, QuerySet

from apikeys.models import APIKey
from core.models import AuditEvent
from organizations.models import User
from organizations.permissions import organizations_filter

# Selectors for lists ------------------------------------------------------------------


def api_keys_visible_to(user: User) -> QuerySet[APIKey]:
    """Keys in the organizations `user` belongs to (staff: every organization)."""
    return APIKey.objects.select_related("organization", "created_by").filter(
        organizations_filter(user, field="organization_id")
    )


def api_keys_manageable_by(user: User) -> QuerySet[APIKey]:
    """Keys in the organizations where `user` is an owner or admin (staff: all)."""
    return APIKey.objects.select_related("organization", "created_by").filter(
        organizations_filter(user, manage=True, field="organization_id")
    )


def audit_events_for(
    organization_id: object,
    *,
    api_key_id: object = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """An organization's audit events, newest first, narrowed by key, action and time."""
    events = AuditEvent.objects.filter(organization_id=organization_id)
    if api_key_id:
        events = events.filter(api_key_id=api_key_id)
    if action:
        events = events.filter(action=action)
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lt=until)
    return events.select_related("api_key", "actor").order_by("-created_at", "-id")


def audit_events_for_export(
    organization_id: object,
    *,
    api_key_id: object = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """An organization's audit events as the export reads them: newest first, filtered as
    `audit_events_for`, each with the prefix of the key the change was made with.

    Nothing else is joined: an export reads the rows one chunk at a time (`iterator()`),
    and a joined key or user per row would only cost memory and time.
    """
    events = audit_events_for(
        organization_id, api_key_id=api_key_id, action=action, since=since, until=until
    )
    return events.select_related(None).annotate(actor_key_prefix=F("actor_key__prefix"))
