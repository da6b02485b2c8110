"""Per-key actions on the API Keys tab, for owners and admins.

Each action is a POST (with CSRF) that calls the matching lifecycle service; a refusal
comes back as an error message or an inline form error, never a 500. The caller's role is
checked before anything else, and the key is looked up among the organization's keys, so a
member gets 403 and a key of another organization 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from apikeys import services, show_once
from apikeys.forms import APIKeyRenameForm, APIKeyRotateForm, add_domain_error
from apikeys.models import APIKey
from apikeys.views.common import page_context
from apikeys.views.keys import created_page, org_keys
from core.audit import AuditContext
from core.errors import DomainError
from organizations.pages import (
    OrganizationAccess,
    organization_access,
    require_manager_page,
    safe_next,
)

# The success flash of each action. Named `*_DONE` (like the admin's `ACTION_DONE`) so none
# is mistaken for the 401 details of the same states in apikeys.authentication.
PAUSE_DONE = "“{name}” is paused: requests with it are refused until you resume it."
RESUME_DONE = "“{name}” is active again."
SET_DEFAULT_DONE = "“{name}” is now the organization's default key."
REMOVE_DEFAULT_DONE = "“{name}” is no longer the default key."
RENAME_DONE = "The key is now called “{name}”."
REVOKE_DONE = "“{name}” is revoked: requests with it are refused from now on."

_Service = Callable[..., APIKey]
ACTIONS: dict[str, tuple[_Service, str]] = {
    "pause": (services.api_key_pause, PAUSE_DONE),
    "resume": (services.api_key_resume, RESUME_DONE),
    "set-default": (services.api_key_set_default, SET_DEFAULT_DONE),
    "remove-default": (services.api_key_remove_default, REMOVE_DEFAULT_DONE),
}


def _managed_key(
    request: HttpRequest, organization_id: uuid.UUID, key_id: uuid.UUID
) -> tuple[OrganizationAccess, APIKey]:
    access = organization_access(request, organization_id)
    require_manager_page(access)
    key = get_object_or_404(org_keys(request, access.organization.pk), pk=key_id)
    return access, key


def _list_url(access: OrganizationAccess) -> str:
    return reverse("api-keys", args=[access.organization.pk])


def _render(
    request: HttpRequest, access: OrganizationAccess, template: str, status: int = 200, **extra
) -> HttpResponse:
    context = page_context(request, access, "api-keys")
    context.update(extra)
    return render(request, f"integrations/api_keys/{template}", context, status=status)


@login_required
@require_POST
def api_key_action(
    request: HttpRequest, organization_id: uuid.UUID, key_id: uuid.UUID, action: str
) -> HttpResponse:
    """Pause, resume, set or remove the default: one click, no form to fill."""
    access, key = _managed_key(request, organization_id, key_id)
    service, success = ACTIONS[action]
    try:
        key = service(
            key=key, actor=request.user, acting_key=None, context=AuditContext.from_request(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success.format(name=key.name))
    return redirect(safe_next(request, _list_url(access)))


@login_required
@require_http_methods(["GET", "POST"])
def api_key_rename(
    request: HttpRequest, organization_id: uuid.UUID, key_id: uuid.UUID
) -> HttpResponse:
    """Give a key a new name."""
    access, key = _managed_key(request, organization_id, key_id)
    form = APIKeyRenameForm(request.POST or None, initial={"name": key.name})
    if request.method == "POST" and form.is_valid():
        try:
            key = services.api_key_rename(
                key=key,
                actor=request.user,
                name=form.cleaned_data["name"],
                context=AuditContext.from_request(request),
                acting_key=None,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, RENAME_DONE.format(name=key.name))
            return redirect(safe_next(request, _list_url(access)))
    status = 400 if form.is_bound else 200
    return _render(request, access, "rename.html", status, key=key, form=form)


@login_required
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
@sensitive_variables()
def api_key_rotate(
    request: HttpRequest, organization_id: uuid.UUID, key_id: uuid.UUID
) -> HttpResponse:
    """Replace a key with a new one (shown once), the old one retiring now or after a grace."""
    access, key = _managed_key(request, organization_id, key_id)
    form = APIKeyRotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new_key, raw = services.api_key_rotate(
                key=key,
                actor=request.user,
                grace_period_seconds=form.cleaned_data["grace_period"],
                context=AuditContext.from_request(request),
                acting_key=None,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if show_once.stash(request, new_key, raw):
                return redirect("api-key-created", organization_id=access.organization.pk)
            return created_page(request, access, new_key, raw)  # the cache failed: show it now
    status = 400 if form.is_bound else 200
    return _render(request, access, "rotate.html", status, key=key, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def api_key_revoke(
    request: HttpRequest, organization_id: uuid.UUID, key_id: uuid.UUID
) -> HttpResponse:
    """Ask for confirmation, then revoke the key for good."""
    access, key = _managed_key(request, organization_id, key_id)
    if request.method == "GET":
        return _render(request, access, "revoke.html", key=key)
    try:
        key = services.api_key_revoke(
            key=key, actor=request.user, context=AuditContext.from_request(request), acting_key=None
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, REVOKE_DONE.format(name=key.name))
    return redirect(safe_next(request, _list_url(access)))
