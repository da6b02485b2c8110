"""The Audit log tab: the organization's events, newest first, by key and by action, and
the same events as a CSV or JSON-lines file."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apikeys import audit_export
from apikeys.forms import AuditFilterForm
from apikeys.selectors import audit_events_for, audit_events_for_export
from apikeys.views.common import page_context
from apikeys.views.keys import org_keys
from organizations.pages import (
    OrganizationAccess,
    organization_access,
    paginate,
    query_without_page,
    require_audit_reader,
)

EXPORT_FORMAT_UNKNOWN = "The audit log is exported as csv or ndjson."


def _display(value: object) -> str:
    """A detail value as a reader expects it: lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _filter_form(request: HttpRequest, access: OrganizationAccess) -> AuditFilterForm:
    """The page's `?key=` and `?action=` filters, checked against this organization's keys."""
    keys = list(org_keys(request, access.organization.pk).order_by("name", "created_at"))
    return AuditFilterForm(request.GET, keys=keys)


def _audit_page(
    request: HttpRequest, access: OrganizationAccess, form: AuditFilterForm
) -> HttpResponse:
    """Render the log as `form` filters it; an invalid filter lists nothing, with a 400."""
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
    page_query = query_without_page(request)
    context.update(
        form=form,
        page=page,
        events=page.object_list,
        page_query=page_query,
        # The export links carry the filters as they are (not the page number).
        export_query=f"?{page_query}" if page_query else "",
        # New events stream in (with JavaScript) only where they belong: the unfiltered
        # first page.
        live_audit=not request.GET and page.number == 1,
    )
    return render(request, "integrations/audit_log.html", context, status=status)


@login_required
def audit_log(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """List audit events, filterable by `?key=<id>` and `?action=`, 50 per page.

    Owners, admins and staff only: members get a 403 (outsiders a 404, as on every page).
    """
    access = organization_access(request, organization_id)
    require_audit_reader(access)
    return _audit_page(request, access, _filter_form(request, access))


@login_required
def audit_log_export(
    request: HttpRequest, organization_id: uuid.UUID, file_format: str
) -> HttpResponse:
    """Download the events the log lists with the same `?key=` and `?action=`, all of them.

    Readers as on the log. An invalid filter shows the log with its error (400) instead of
    a file of everything.
    """
    if file_format not in audit_export.FILE_FORMATS:
        raise Http404(EXPORT_FORMAT_UNKNOWN)
    access = organization_access(request, organization_id)
    require_audit_reader(access)
    form = _filter_form(request, access)
    if not form.is_valid():
        return _audit_page(request, access, form)
    events = audit_events_for_export(
        access.organization.pk,
        api_key_id=form.cleaned_data["key"],
        action=form.cleaned_data["action"],
    )
    return audit_export.export_response(
        request, events, organization=access.organization, file_format=file_format
    )
