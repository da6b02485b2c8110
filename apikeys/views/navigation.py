"""The way into the Integrations pages: the landing redirect and the organization switcher."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apikeys.views.common import current_organization, parse_uuid, remember_organization
from organizations.models import Organization
from organizations.permissions import role_in

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
    organization = None
    if chosen is not None and role_in(request.user, chosen) is not None:
        organization = Organization.objects.filter(pk=chosen).first()
    if organization is None:
        messages.error(request, SWITCH_REFUSED)
        return redirect("integrations")
    remember_organization(request, organization)
    return redirect("api-keys", organization_id=organization.pk)
