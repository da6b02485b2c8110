"""One key's page on the API Keys tab: what it is, why it is in its state, what it may do,
where it came from and what happened to it.

Anyone who sees the keys list sees a key's page (members read-only); a key of another
organization, or an id that is no key, is a 404. The key's audit events are shown only to
those who may read the audit log: they carry people's emails and IP addresses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from apikeys.charts import BarChart, bar_chart
from apikeys.models import APIKey, EffectiveStatus
from apikeys.selectors import (
    api_key_recent_events,
    api_key_replacement,
    api_key_status_events,
)
from apikeys.usage_selectors import Granularity, refused_since, usage_series
from apikeys.views.common import page_context
from apikeys.views.keys import org_keys
from core.models import AuditAction, AuditEvent
from organizations.pages import organization_access
from organizations.permissions import effective_scopes, key_role

# How many of the key's events the page lists; the Audit log tab (filtered to the key)
# has the rest.
KEY_EVENTS_SHOWN = 20
# A key expiring within this many days is flagged: time to rotate or replace it.
EXPIRY_WARNING_DAYS = 7

PAUSED_BY = "Paused {when} by {who}: requests with it are refused until it is resumed."
PAUSED_AT = "Paused {when}: requests with it are refused until it is resumed."
PAUSED_BY_ROTATION = (
    "Paused {when}: it replaced a paused key, and rotating never lifts a pause. "
    "Requests with it are refused until it is resumed."
)
REVOKED_BY = "Revoked {when} by {who}: requests with it are refused for good."
REVOKED_LEAKED = (
    "Revoked {when} automatically: the key was reported as leaked. "
    "Requests with it are refused for good."
)
REVOKED_AT = "Revoked {when}: requests with it are refused for good."
EXPIRED_AT = "Expired {when}: requests with it are refused."
EXPIRED_AFTER_GRACE = "Stopped working {when}, when the grace period of its rotation ended."
GRACE_UNTIL = "Replaced by a new key: this one keeps working until {when}, then stops."
EXPIRES_SOON = "Expires {when}, in less than {days} days: rotate it before then."
SCOPE_NOT_IN_EFFECT = "Not in effect: the creator's role ({role}) no longer allows it."
CREATOR_GONE = (
    "The creator is no longer a member of this organization: the key has no scope in effect."
)
EVENTS_NOT_VISIBLE = "Only owners and admins can see this key's history: it holds emails and IPs."
NO_EVENTS = "Nothing has happened to this key yet."
TRIED_SINCE = {
    EffectiveStatus.REVOKED: (
        "Tried {times} since it was revoked: an integration still holds it, or it leaked."
    ),
    EffectiveStatus.PAUSED: (
        "Tried {times} since it was paused: an integration still uses it, and is refused "
        "until the key is resumed."
    ),
    EffectiveStatus.EXPIRED: (
        "Tried {times} since it expired: an integration still uses it. Give it a new key."
    ),
}
# What the charts cover: 48 hours by hour and 30 days by day, the current period included.
CHART_HOURS = 48
CHART_DAYS = 30


def times(count: int) -> str:
    return "once" if count == 1 else f"{count:,} times"


def usage_chart(
    key: APIKey, granularity: Granularity, span: timedelta, *, now: datetime
) -> BarChart:
    """The key's usage over the `span` before now, drawn by `granularity`."""
    buckets = usage_series(key, granularity=granularity, since=now - span, until=now, now=now)
    return bar_chart(buckets, granularity=granularity)


def tried_since(key: APIKey, *, now: datetime) -> str | None:
    """Say how often a key that stopped working was tried since, if it was."""
    found = refused_since(key, now=now)
    if found is None or not found[1]:
        return None
    status, count = found
    return TRIED_SINCE[status].format(times=times(count))


def time_tag(value: datetime) -> SafeString:
    """A `<time>` element with the machine-readable instant and a date and time (UTC)."""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{}</time>',
        local.isoformat(),
        dateformat.format(local, "M j, Y H:i") + " UTC",
    )


@dataclass(frozen=True, slots=True)
class ScopeRow:
    name: str
    in_effect: bool


def status_reason(
    key: APIKey, status: EffectiveStatus, events: dict[str, AuditEvent]
) -> SafeString | None:
    """Why the key is in its status: who paused or revoked it and when, or when it expired."""
    if status == EffectiveStatus.PAUSED and key.paused_at:
        paused = events.get(AuditAction.KEY_PAUSED)
        when = time_tag(key.paused_at)
        if paused is not None and paused.actor_email:
            return format_html(PAUSED_BY, when=when, who=paused.actor_email)
        if paused is None and key.rotated_from_id:
            return format_html(PAUSED_BY_ROTATION, when=when)
        return format_html(PAUSED_AT, when=when)
    if status == EffectiveStatus.REVOKED and key.revoked_at:
        when = time_tag(key.revoked_at)
        revoked = events.get(AuditAction.KEY_REVOKED)
        # `revoked_by` is cleared if the person is deleted; the event keeps their email.
        who = key.revoked_by.email if key.revoked_by else getattr(revoked, "actor_email", "")
        if who:
            return format_html(REVOKED_BY, when=when, who=who)
        if AuditAction.KEY_REPORTED_LEAKED in events:
            return format_html(REVOKED_LEAKED, when=when)
        return format_html(REVOKED_AT, when=when)
    if status == EffectiveStatus.EXPIRED and key.expires_at:
        template = EXPIRED_AFTER_GRACE if key.is_rotated else EXPIRED_AT
        return format_html(template, when=time_tag(key.expires_at))
    if status != EffectiveStatus.REVOKED and key.is_rotated and key.expires_at:
        return format_html(GRACE_UNTIL, when=time_tag(key.expires_at))
    return None


def expiry_warning(key: APIKey, status: EffectiveStatus, *, now: datetime) -> SafeString | None:
    """A warning for a usable key expiring within `EXPIRY_WARNING_DAYS`.

    A rotated key's expiry is its grace end, which the status already explains.
    """
    if (
        key.expires_at is None
        or key.is_rotated
        or status not in (EffectiveStatus.ACTIVE, EffectiveStatus.PAUSED)
        or key.expires_at - now > timedelta(days=EXPIRY_WARNING_DAYS)
    ):
        return None
    return format_html(EXPIRES_SOON, when=time_tag(key.expires_at), days=EXPIRY_WARNING_DAYS)


@login_required
@require_GET
def api_key_detail(
    request: HttpRequest, organization_id: uuid.UUID, key_id: uuid.UUID
) -> HttpResponse:
    """Show one key: its facts, status and why, scopes, lineage, history and actions."""
    access = organization_access(request, organization_id)
    org_id = access.organization.pk
    key = get_object_or_404(
        org_keys(request, org_id).select_related("revoked_by", "rotated_from"), pk=key_id
    )
    now = timezone.now()
    status = key.effective_status(now)
    creator_role = key_role(key)
    in_effect = set(effective_scopes(key.scopes, creator_role))
    context = page_context(request, access, "api-keys")
    context.update(
        key=key,
        status=status,
        status_reason=status_reason(key, status, api_key_status_events(key)),
        expiry_warning=expiry_warning(key, status, now=now),
        creator_role=creator_role,
        creator_gone=CREATOR_GONE if creator_role is None else "",
        scopes=[ScopeRow(name=scope, in_effect=scope in in_effect) for scope in key.scopes],
        scope_not_in_effect=SCOPE_NOT_IN_EFFECT.format(role=creator_role or "none"),
        replacement=api_key_replacement(key),
        key_url=reverse("api-key-detail", args=[org_id, key.pk]),
        usage_hours_chart=usage_chart(key, "hour", timedelta(hours=CHART_HOURS - 1), now=now),
        usage_days_chart=usage_chart(key, "day", timedelta(days=CHART_DAYS - 1), now=now),
        usage_tried=tried_since(key, now=now),
    )
    if access.can_read_audit:
        events = api_key_recent_events(org_id, key, limit=KEY_EVENTS_SHOWN)
        context.update(
            events=events[:KEY_EVENTS_SHOWN],
            more_events=len(events) > KEY_EVENTS_SHOWN,
            audit_url=f"{reverse('audit-log', args=[org_id])}?{urlencode({'key': key.pk})}",
            no_events=NO_EVENTS,
        )
    else:
        context["events_not_visible"] = EVENTS_NOT_VISIBLE
    return render(request, "integrations/api_keys/detail.html", context)
