"""The Members tab: everyone sees who belongs; owners and admins invite, re-role and remove.

Every change goes through `organizations.services`, which applies the role rules (only
owners touch the owner role, the last owner stays); their refusals are shown as messages.
Changing a role or removing someone asks for the password again when the last sign-in is
older than a few minutes (allauth's re-authentication), as does changing the two-factor rule.
"""

from __future__ import annotations

import uuid

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import AuditContext
from core.errors import DomainError
from organizations import services
from organizations.forms import InvitationForm, MemberRemoveForm, MemberRoleForm, TwoFactorRuleForm
from organizations.models import Membership, Role
from organizations.pages import (
    OrganizationAccess,
    organization_access,
    page_context,
    require_manager_page,
)
from organizations.permissions import can_see_invitations, can_set_two_factor_rule, role_in
from organizations.selectors import members_of, pending_invitations

MEMBER_ROLE_CHANGED = "{email} is now {role}."
MEMBER_REMOVED = "{email} is no longer a member of this organization."
TWO_FACTOR_RULE_CHANGED = "Two-factor rule saved: {rule}."


def _memberships(access: OrganizationAccess) -> list[Membership]:
    return list(members_of(access.organization))


def render_members(
    request: HttpRequest,
    access: OrganizationAccess,
    *,
    invite_form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The Members tab: members, and for managers the invitations and the invite form."""
    context = page_context(request, access, "members")
    organization = access.organization
    context.update(
        memberships=_memberships(access),
        roles=Role.choices,
        invite_form=invite_form or InvitationForm(),
        invitations=(
            list(pending_invitations(organization)) if can_see_invitations(access.role) else []
        ),
        can_set_two_factor_rule=can_set_two_factor_rule(access.role),
        two_factor_form=TwoFactorRuleForm(
            initial={"two_factor_rule": organization.two_factor_rule}
        ),
    )
    return render(request, "integrations/members.html", context, status=status)


def _membership(access: OrganizationAccess, user_id: uuid.UUID) -> Membership:
    return get_object_or_404(members_of(access.organization), user=user_id)


@login_required
def member_list(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """List the organization's members and their roles."""
    access = organization_access(request, organization_id)
    return render_members(request, access)


@login_required
@require_POST
@reauthentication_required
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
@reauthentication_required(allow_get=True)
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


@login_required
@require_POST
@reauthentication_required
def two_factor_rule(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """Set who in the organization must use two-factor (owners only)."""
    access = organization_access(request, organization_id)
    require_manager_page(access)
    form = TwoFactorRuleForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["two_factor_rule"][0])
        return redirect("members", organization_id=access.organization.pk)
    try:
        organization = services.organization_set_two_factor_rule(
            actor=request.user,
            organization=access.organization,
            rule=form.cleaned_data["two_factor_rule"],
            context=AuditContext.from_request(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        rule = organization.get_two_factor_rule_display()
        messages.success(request, TWO_FACTOR_RULE_CHANGED.format(rule=rule))
    return redirect("members", organization_id=access.organization.pk)
