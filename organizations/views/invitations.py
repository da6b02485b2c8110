"""Invitations on the Members tab (send, resend, withdraw) and the page their link opens.

The link's page (`/invitations/<token>/`) carries the secret in its URL, so it is sent with
`Referrer-Policy: same-origin` and `Cache-Control: no-store`, and answers every token it
cannot use (unknown, used, withdrawn, expired) with the same 404 page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import AuditContext
from core.errors import DomainError, NotFound
from core.forms import add_domain_error
from organizations import services
from organizations.forms import InvitationForm
from organizations.models import Invitation, normalize_login_email
from organizations.pages import (
    organization_access,
    remember_organization,
    require_manager_page,
)
from organizations.selectors import (
    INVITATION_SESSION_KEY,
    has_verified_email,
    invitation_by_token,
    invitation_in,
)
from organizations.views.members import render_members

INVITATION_SENT = (
    "Invitation sent to {email}. They become a member ({role}) once they accept it; "
    "the link works for {days} days."
)
INVITATION_RESENT = "Invitation sent to {email} again, with a new link."
INVITATION_REVOKED = "The invitation to {email} is withdrawn: its link no longer works."
INVITATION_NOT_FOUND = "No such invitation in this organization."
JOINED = "Welcome to {organization}: you are now a member ({role})."


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _invitation_action(
    request: HttpRequest,
    organization_id: uuid.UUID,
    invitation_id: uuid.UUID,
    service: Callable[..., object],
    done: str,
    **arguments: str,
) -> HttpResponse:
    """Apply `service` to one of the organization's invitations as a manager, and say on the
    Members tab that it is `done` (or why not)."""
    access = organization_access(request, organization_id)
    require_manager_page(access)
    invitation = invitation_in(access.organization, invitation_id)
    if invitation is None:
        raise Http404(INVITATION_NOT_FOUND)
    try:
        service(
            invitation=invitation,
            actor=request.user,
            acting_key=None,
            context=AuditContext.from_request(request),
            **arguments,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done.format(email=invitation.email))
    return redirect("members", organization_id=access.organization.pk)


@login_required
@require_POST
def invitation_create(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """Invite an email address with a role; errors appear on the form."""
    access = organization_access(request, organization_id)
    require_manager_page(access)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=access.organization,
                actor=request.user,
                acting_key=None,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                site_url=_site(request),
                context=AuditContext.from_request(request),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # The same answer whether or not the address has an account.
            messages.success(
                request,
                INVITATION_SENT.format(
                    email=invitation.email,
                    role=invitation.get_role_display().lower(),
                    days=(invitation.expires_at - invitation.sent_at).days,
                ),
            )
            return redirect("members", organization_id=access.organization.pk)
    return render_members(request, access, invite_form=form, status=400)


@login_required
@require_POST
def invitation_resend(
    request: HttpRequest, organization_id: uuid.UUID, invitation_id: uuid.UUID
) -> HttpResponse:
    """Email a pending invitation again, with a new link and expiry."""
    return _invitation_action(
        request,
        organization_id,
        invitation_id,
        services.invitation_resend,
        INVITATION_RESENT,
        site_url=_site(request),
    )


@login_required
@require_POST
def invitation_revoke(
    request: HttpRequest, organization_id: uuid.UUID, invitation_id: uuid.UUID
) -> HttpResponse:
    """Withdraw a pending invitation."""
    return _invitation_action(
        request, organization_id, invitation_id, services.invitation_revoke, INVITATION_REVOKED
    )


def _not_valid(request: HttpRequest) -> HttpResponse:
    context = {"message": services.INVITATION_INVALID}
    return render(request, "organizations/invitation_invalid.html", context, status=404)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _page(
    request: HttpRequest, invitation: Invitation, error: str = "", status: int = 200
) -> HttpResponse:
    user = request.user
    signed_in = user.is_authenticated
    verified = signed_in and has_verified_email(user, invitation.email)
    same_address = signed_in and normalize_login_email(user.email) == invitation.email
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "role": invitation.get_role_display().lower(),
        "error": error,
        "signed_in": signed_in,
        "can_accept": verified,
        "unverified": same_address and not verified,
        "other_email": signed_in and not same_address and not verified,
        "other_email_message": services.OTHER_EMAIL,
        "unverified_message": services.EMAIL_UNVERIFIED,
        "login_url": _with_next("account_login", request.path),
        "signup_url": _with_next("account_signup", request.path),
    }
    return render(request, "organizations/invitation.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show an invitation and, to the invited address signed in, accept it (POST)."""
    response = _invitation_page(request, token)
    # The URL holds the token: no other site may learn it from the Referer header. Not
    # "no-referrer": with it, browsers send `Origin: null` on the page's own Accept form,
    # which Django's CSRF check rightly refuses (found by the browser test).
    response["Referrer-Policy"] = "same-origin"
    return response


def _invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(_with_next("account_login", request.path))
        try:
            membership = services.invitation_accept(
                user=request.user, token=token, context=AuditContext.from_request(request)
            )
        except NotFound:
            return _not_valid(request)
        except DomainError as error:
            if invitation is None:
                return _not_valid(request)
            return _page(request, invitation, error=error.message, status=error.status_code)
        request.session.pop(INVITATION_SESSION_KEY, None)
        remember_organization(request, membership.organization)
        messages.success(
            request,
            JOINED.format(
                organization=membership.organization.name,
                role=membership.get_role_display().lower(),
            ),
        )
        return redirect("api-keys", organization_id=membership.organization.pk)
    if invitation is None:
        return _not_valid(request)
    if not request.user.is_authenticated:
        # Lets the visitor sign up even while sign-up is closed (see `open_invitation`).
        request.session[INVITATION_SESSION_KEY] = str(invitation.pk)
    return _page(request, invitation)
