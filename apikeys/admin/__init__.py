"""Admin registrations for API keys and the audit trail (see the modules for the rules)."""

from apikeys.admin.audit import AuditEventAdmin
from apikeys.admin.keys import APIKeyAdmin

__all__ = ["APIKeyAdmin", "AuditEventAdmin"]
