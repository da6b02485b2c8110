"""Audit events to the channel layer as they are committed, for `/api/ws/audit/`.

Connected in `ApikeysConfig.ready` to `AuditEvent`'s `post_save`: whichever service records
an event (keys, members, invitations), readers of that organization's stream get it once
its transaction commits, never for a rolled-back change. The channel layer is Redis with
`REDIS_URL` (every process hears every other), else in memory (one process: `make run`).
A failing layer costs a warning, never the action that was audited.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core.models import AuditEvent

logger = logging.getLogger(__name__)


def audit_group(organization_id: object) -> str:
    """The channel-layer group of an organization's audit stream."""
    return f"audit.{organization_id}"


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The event as the audit API lists it, plus its action's label for the page."""
    from apikeys.api.serializers.audit import AuditEventSerializer

    payload = json.loads(json.dumps(AuditEventSerializer(event).data, default=str))
    payload["action_label"] = event.get_action_display()
    return payload


def broadcast_audit_event(sender: type, instance: AuditEvent, created: bool, **_: Any) -> None:
    """On commit, send a new event to its organization's stream."""
    if created and instance.organization_id is not None:
        transaction.on_commit(partial(_send, instance))


def _send(event: AuditEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "audit.event", "event": event_payload(event)}
    try:
        async_to_sync(layer.group_send)(audit_group(event.organization_id), message)
    except Exception as error:  # the action is done and audited; only the live copy is lost
        logger.warning(
            "audit stream: the channel layer did not take event %s (%s)", event.pk, error
        )
