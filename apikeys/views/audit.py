"""The Audit log tab: the organization's events, newest first, by key and by action."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apikeys.forms import AuditFilterForm
from apikeys.selectors import audit_events_for
from apikeys.views.common import page_context
from apikeys.views.keys import org_keys
from organizations.pages import (
    organization_access,
    paginate,
    query_without_page,
    require_audit_reader,
)


def _display(value: object) -> str:
    """A detail value as a reader expects it: lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


@login_required
def audit_log(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """List audit events, filterable by `?key=<id>` and `?action=`, 50 per page.

    Owners, admins and staff only: members get a 403 (outsiders a 404, as on every page).
    """
    access = organization_access(request, organization_id)
    require_audit_reader(access)
    keys = list(org_keys(request, access.organization.pk).order_by("name", "created_at"))
    form = AuditFilterForm(request.GET, keys=keys)
    status = 200
    if form.is_valid():
        events = audit_events_for(
            access.organization.pk,
            api_key_id=form.cleaned_data["key"],
            action=form.cleaned_data["action"],
        ).select_related("actor_key")
    else:
        # An unknown key or action lists nothing rather than silently everything.
        events = audit_events_for(access.organization.pk).none()
        status = 400
    page = paginate(request, events)
    page.object_list = list(page.object_list)
    for event in page.object_list:
        event.detail_items = [(name, _display(value)) for name, value in event.details.items()]
    context = page_context(request, access, "audit-log")
    context.update(
        form=form,
        page=page,
        events=page.object_list,
        page_query=query_without_page(request),
        # New events stream in (with JavaScript) only where they belong: the unfiltered
        # first page.
        live_audit=not request.GET and page.number == 1,
    )
    return render(request, "integrations/audit_log.html", context, status=status)
