"""The way into the Integrations pages: the landing redirect and the organization switcher."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.ids import parse_uuid
from organizations.pages import current_organization, remember_organization
from organizations.selectors import organization_with_role

SWITCH_REFUSED = "Choose one of your organizations."


@login_required
def integrations(request: HttpRequest) -> HttpResponse:
    """Send the user to their current organization's API Keys tab, or explain there is none."""
    organization = current_organization(request)
    if organization is None:
        return render(request, "integrations/no_organization.html")
    return redirect("api-keys", organization_id=organization.pk)


@login_required
@require_http_methods(["GET", "POST"])
def switch_organization(request: HttpRequest) -> HttpResponse:
    """Make the chosen organization the current one and open its API Keys tab.

    GET works too, so the switcher works as a plain link or form; it only changes which
    organization the user looks at, never any data.
    """
    chosen = parse_uuid(request.POST.get("organization") or request.GET.get("organization"))
    found = None if chosen is None else organization_with_role(request.user, chosen)
    if found is None:
        messages.error(request, SWITCH_REFUSED)
        return redirect("integrations")
    organization = found[0]
    remember_organization(request, organization)
    return redirect("api-keys", organization_id=organization.pk)
