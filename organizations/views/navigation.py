"""The way into the Integrations pages: the landing redirect, creating a first organization
and the organization switcher."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import AuditContext
from core.errors import DomainError
from core.forms import add_domain_error
from core.ids import parse_uuid
from organizations import services
from organizations.pages import current_organization, remember_organization
from organizations.selectors import organization_with_role

SWITCH_REFUSED = "Choose one of your organizations."
ORGANIZATION_CREATED = "{name} is ready, and you are its owner."


class OrganizationForm(forms.Form):
    """The name of a new organization (the service cleans and checks it)."""

    name = forms.CharField(
        max_length=services.ORG_NAME_MAX_LENGTH,
        strip=False,
        error_messages={
            "required": services.ORG_NAME_REQUIRED,
            "max_length": services.ORG_NAME_TOO_LONG,
        },
    )


def _no_organization(
    request: HttpRequest, form: OrganizationForm, status: int = 200
) -> HttpResponse:
    return render(request, "integrations/no_organization.html", {"form": form}, status=status)


@login_required
def integrations(request: HttpRequest) -> HttpResponse:
    """Send the user to their current organization's API Keys tab, or, with none, ask them
    to create one (or to open the invitation an owner sent them)."""
    organization = current_organization(request)
    if organization is None:
        return _no_organization(request, OrganizationForm())
    return redirect("api-keys", organization_id=organization.pk)


@login_required
@require_POST
def organization_create(request: HttpRequest) -> HttpResponse:
    """Create an organization owned by the signed-in user, then open its API Keys tab."""
    form = OrganizationForm(request.POST)
    if form.is_valid():
        try:
            organization = services.organization_create(
                name=form.cleaned_data["name"],
                owner=request.user,
                context=AuditContext.from_request(request),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            remember_organization(request, organization)
            messages.success(request, ORGANIZATION_CREATED.format(name=organization.name))
            return redirect("api-keys", organization_id=organization.pk)
    return _no_organization(request, form, status=400)


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
