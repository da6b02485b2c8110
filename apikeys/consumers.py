"""Keyportal's own socket, `/api/ws/audit/`: an organization's audit events as they happen.

Authenticated by `apikeys.channels.APIKeyWebSocketMiddleware` (a key, a ticket or an
access token). Readers are those the audit log's one rule admits (`can_read_audit`):
owners, admins and staff, and keys holding `audit:read` in effect. A person names the
organization with `?organization_id=`; a key streams its own organization. Each event is
checked against the reader's rights again before it is sent, so a demoted admin's socket
stops receiving (and is closed) at the next event.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apikeys.channels import CLOSE_FORBIDDEN, Refused, refuse
from apikeys.live import audit_group
from apikeys.models import APIKey
from apikeys.permissions import AUDIT_READ_SCOPE, key_scopes
from core.ids import parse_uuid
from organizations.permissions import AUDIT_NOT_VISIBLE, MISSING_SCOPE, can_read_audit
from organizations.selectors import organization_with_role

NAME_THE_ORGANIZATION = "Name the organization: ?organization_id=<id>."
NO_SUCH_ORGANIZATION = "No such organization."


def audit_refusal(user: Any, key: APIKey | None, organization_id: str) -> str | None:
    """Why this caller may not read this organization's audit events, or None if they may."""
    if key is not None:
        if str(key.organization_id) != organization_id:
            return NO_SUCH_ORGANIZATION
        if AUDIT_READ_SCOPE not in key_scopes(key):
            return MISSING_SCOPE.format(scope=AUDIT_READ_SCOPE)
        return None if can_read_audit(key.role) else AUDIT_NOT_VISIBLE
    found = organization_with_role(user, organization_id)
    if found is None:
        return NO_SUCH_ORGANIZATION
    return None if can_read_audit(found[1]) else AUDIT_NOT_VISIBLE


class AuditStreamConsumer(AsyncJsonWebsocketConsumer):
    """Send `{"type": "audit_event", "event": {...}}` for each event, as the API lists them."""

    group: str | None = None

    async def connect(self) -> None:
        key: APIKey | None = self.scope.get("auth")
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        named = (query.get("organization_id") or [None])[-1]
        if named is None and key is not None:
            named = str(key.organization_id)
        organization_id = parse_uuid(named) if named else None
        if organization_id is None:
            await refuse(self.base_send, Refused(NAME_THE_ORGANIZATION, CLOSE_FORBIDDEN))
            return
        self.organization_id = str(organization_id)
        refusal = await self.refusal()
        if refusal is not None:
            await refuse(self.base_send, Refused(refusal, CLOSE_FORBIDDEN))
            return
        self.group = audit_group(self.organization_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def refusal(self) -> str | None:
        return await database_sync_to_async(audit_refusal)(
            self.scope["user"], self.scope.get("auth"), self.organization_id
        )

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def audit_event(self, message: dict[str, Any]) -> None:
        """Forward one event from the group, if the reader may still read it."""
        refusal = await self.refusal()
        if refusal is not None:
            await self.send_json({"type": "error", "detail": refusal})
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.send_json({"type": "audit_event", "event": message["event"]})
