"""The Members tab: everyone sees who belongs; owners and admins add, re-role and remove.

Every change goes through `organizations.services`, which applies the role rules (only
owners touch the owner role, the last owner stays); their refusals are shown as messages.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import AuditContext
from core.errors import DomainError
from core.forms import add_domain_error
from organizations import services
from organizations.forms import MemberAddForm, MemberRemoveForm, MemberRoleForm
from organizations.models import Membership, Role
from organizations.pages import (
    OrganizationAccess,
    organization_access,
    page_context,
    require_manager_page,
)
from organizations.permissions import role_in
from organizations.selectors import members_of

MEMBER_ADDED = "{email} is now a member ({role})."
MEMBER_ROLE_CHANGED = "{email} is now {role}."
MEMBER_REMOVED = "{email} is no longer a member of this organization."


def _memberships(access: OrganizationAccess) -> list[Membership]:
    return list(members_of(access.organization))


def _render_members(
    request: HttpRequest, access: OrganizationAccess, form: MemberAddForm, status: int = 200
) -> HttpResponse:
    context = page_context(request, access, "members")
    context.update(memberships=_memberships(access), add_form=form, roles=Role.choices)
    return render(request, "integrations/members.html", context, status=status)


def _membership(access: OrganizationAccess, user_id: uuid.UUID) -> Membership:
    return get_object_or_404(members_of(access.organization), user=user_id)


@login_required
def member_list(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """List the organization's members and their roles."""
    access = organization_access(request, organization_id)
    return _render_members(request, access, MemberAddForm())


@login_required
@require_POST
def member_add(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """Add an existing user by email with a role; errors appear on the form."""
    access = organization_access(request, organization_id)
    require_manager_page(access)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership = services.member_add(
                organization=access.organization,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                context=AuditContext.from_request(request),
                acting_key=None,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                MEMBER_ADDED.format(
                    email=membership.user.email, role=membership.get_role_display().lower()
                ),
            )
            return redirect("members", organization_id=access.organization.pk)
    return _render_members(request, access, form, status=400)


@login_required
@require_POST
def member_change_role(
    request: HttpRequest, organization_id: uuid.UUID, user_id: uuid.UUID
) -> HttpResponse:
    """Change a member's role."""
    access = organization_access(request, organization_id)
    require_manager_page(access)
    membership = _membership(access, user_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, services.ROLE_INVALID)
        return redirect("members", organization_id=access.organization.pk)
    try:
        membership = services.member_change_role(
            organization=access.organization,
            actor=request.user,
            user=membership.user,
            role=form.cleaned_data["role"],
            context=AuditContext.from_request(request),
            acting_key=None,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            MEMBER_ROLE_CHANGED.format(
                email=membership.user.email, role=membership.get_role_display().lower()
            ),
        )
    return redirect("members", organization_id=access.organization.pk)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(
    request: HttpRequest, organization_id: uuid.UUID, user_id: uuid.UUID
) -> HttpResponse:
    """Ask, then remove a member: their keys are revoked, or transferred to another member."""
    access = organization_access(request, organization_id)
    require_manager_page(access)
    membership = _membership(access, user_id)
    others = [m for m in _memberships(access) if m.user_id != membership.user_id]
    form = MemberRemoveForm(request.POST if request.method == "POST" else None, others=others)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["transfer_to"]
        transfer_to = next((m.user for m in others if str(m.user.pk) == chosen), None)
        try:
            services.member_remove(
                organization=access.organization,
                actor=request.user,
                acting_key=None,
                user=membership.user,
                transfer_to=transfer_to,
                context=AuditContext.from_request(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("members", organization_id=access.organization.pk)
        messages.success(request, MEMBER_REMOVED.format(email=membership.user.email))
        if role_in(request.user, access.organization) is None:
            # Someone who removed themselves can no longer open this organization's pages.
            return redirect("integrations")
        return redirect("members", organization_id=access.organization.pk)
    context = page_context(request, access, "members")
    context.update(
        membership=membership,
        form=form,
        # The keys `member_remove` will revoke or transfer, through the reverse relation
        # (organizations never imports apikeys): every key not yet revoked.
        live_keys=membership.user.api_keys.filter(
            organization=access.organization, revoked_at__isnull=True
        ).order_by("-created_at"),
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "integrations/member_remove.html", context, status=status)
