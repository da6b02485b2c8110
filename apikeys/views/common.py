"""What the API Keys and Audit log tabs add to the organization page frame."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apikeys import show_once
from organizations import pages
from organizations.pages import OrganizationAccess


def page_context(request: HttpRequest, access: OrganizationAccess, tab: str) -> dict[str, Any]:
    """The organization layout's context, after dropping a new key's plaintext whose
    show-once page was never opened in time (no working key waits at rest)."""
    show_once.purge_stale(request)
    return pages.page_context(request, access, tab)
