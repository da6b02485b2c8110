"""Write audit events: the caller's context travels with every service call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apikeys.models import APIKey, AuditAction, AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

    from organizations.models import Organization, User


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Where a change came from: the client's IP, the request id, and the key used, if any."""

    ip: str | None = None
    request_id: str = ""
    api_key: APIKey | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> AuditContext:
        auth = getattr(request, "auth", None)
        return cls(
            ip=request.META.get("REMOTE_ADDR") or None,
            request_id=getattr(request, "request_id", ""),
            api_key=auth if isinstance(auth, APIKey) else None,
        )


SYSTEM = AuditContext()


def record(
    action: AuditAction,
    *,
    actor: User | None,
    organization: Organization | None,
    context: AuditContext,
    api_key: APIKey | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (call inside the service's transaction)."""
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        actor_key=context.api_key,
        api_key=api_key,
        key_prefix=api_key.prefix if api_key else "",
        action=action,
        ip=context.ip,
        request_id=context.request_id[:200],
        details=details or {},
    )
