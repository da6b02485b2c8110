"""Write audit events: the caller's context travels with every service call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.clients import client_ip
from core.models import AuditAction, AuditEvent

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Where a change came from: the client's IP and the request id.

    The credential a change is made with is not part of it: services take the acting key as
    an explicit keyword (`acting_key`), so no rule can be skipped by a context left out.
    """

    ip: str | None = None
    request_id: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> AuditContext:
        return cls(
            ip=client_ip(request),
            request_id=getattr(request, "request_id", ""),
        )


SYSTEM = AuditContext()


def record(
    action: AuditAction,
    *,
    actor: Model | None,
    organization: Model | None,
    context: AuditContext,
    acting_key: Model | None,
    api_key: Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (call inside the service's transaction).

    `acting_key` is the key the actor made the change with (None: a session, the admin or
    a command); the event names it, so a key's own actions can be traced back to it.
    """
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        actor_key=acting_key,
        api_key=api_key,
        key_prefix=api_key.prefix if api_key else "",
        action=action,
        ip=context.ip,
        request_id=context.request_id[:200],
        details=details or {},
    )
