"""Reads of API keys and audit events, always scoped to what the caller may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, QuerySet

from apikeys.models import APIKey
from core.models import AuditAction, AuditEvent
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


# Selectors for one key's page ---------------------------------------------------------

# The events that say why a key is in its state: who paused it, who revoked it, a leak.
STATUS_EVENT_ACTIONS = (
    AuditAction.KEY_PAUSED,
    AuditAction.KEY_REVOKED,
    AuditAction.KEY_REPORTED_LEAKED,
)


def api_key_replacement(key: APIKey) -> APIKey | None:
    """The key that replaced `key` in a rotation, if any (same organization only)."""
    return (
        APIKey.objects.select_related("organization", "created_by")
        .filter(rotated_from=key, organization_id=key.organization_id)
        .order_by("created_at", "id")
        .first()
    )


def api_key_status_events(key: APIKey) -> dict[str, AuditEvent]:
    """The newest pause, revocation and leak report of `key`, by action, in one query.

    The key stores when it was paused but not by whom: the audit trail says who. A pause
    older than the current one (`paused_at`) is not the reason it is paused now.
    """
    events = AuditEvent.objects.filter(
        organization_id=key.organization_id,
        api_key_id=key.pk,
        action__in=STATUS_EVENT_ACTIONS,
    ).order_by("-created_at", "-id")
    newest: dict[str, AuditEvent] = {}
    for event in events:
        if event.action == AuditAction.KEY_PAUSED and (
            key.paused_at is None or event.created_at < key.paused_at
        ):
            continue
        newest.setdefault(event.action, event)
    return newest


def api_key_recent_events(organization_id: object, key: APIKey, *, limit: int) -> list[AuditEvent]:
    """Up to `limit` + 1 of the key's audit events, newest first: one more than shown tells
    the page whether the audit log holds older ones."""
    events = audit_events_for(organization_id, api_key_id=key.pk).select_related("actor_key")
    return list(events[: limit + 1])
