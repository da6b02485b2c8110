"""Reads of organizations, always scoped to what the caller may see."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from core.ids import parse_uuid
from organizations.models import (
    Invitation,
    InvitationStatus,
    Membership,
    Organization,
    Role,
    User,
    normalize_login_email,
)
from organizations.permissions import organizations_filter, resolve_role
from organizations.tokens import looks_like_token, token_digest


def organization_with_role(user: User, organization_id: object) -> tuple[Organization, Role] | None:
    """Return the organization and the role `user` acts with there, in one query.

    None when the organization does not exist or `user` may not see it (not a member, not
    staff, inactive, anonymous): callers answer both the same way, so an outsider learns
    nothing about which ids exist.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    membership_role = Membership.objects.filter(user=user, organization_id=OuterRef("pk")).values(
        "role"
    )[:1]
    organization = (
        Organization.objects.filter(pk=organization_id)
        .annotate(membership_role=Subquery(membership_role))
        .first()
    )
    if organization is None:
        return None
    role = resolve_role(user, organization.membership_role)
    return None if role is None else (organization, role)


def organizations_visible_to(user: User) -> QuerySet[Organization]:
    """The organizations `user` may read (staff: every one), by name."""
    return Organization.objects.filter(organizations_filter(user)).order_by("name", "id")


def organizations_of(user: User) -> QuerySet[Organization]:
    """The organizations `user` is a member of, by name: what the switcher lists."""
    return Organization.objects.filter(memberships__user=user).order_by("name", "id")


def memberships_of(user: User) -> QuerySet[Membership]:
    """`user`'s memberships with their organizations, by organization name."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name", "organization_id")
    )


def roles_in(user: User, organizations: list[Organization]) -> dict[object, Role | None]:
    """The role `user` acts with in each of `organizations`, by id, in one query."""
    stored = dict(
        Membership.objects.filter(
            user=user, organization__in=[o.pk for o in organizations]
        ).values_list("organization_id", "role")
    )
    return {o.pk: resolve_role(user, stored.get(o.pk)) for o in organizations}


def members_of(organization: Organization | object) -> QuerySet[Membership]:
    """An organization's memberships with their users, by email."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__email")
    )


def managed_memberships(caller: User, user_id: object) -> QuerySet[Membership]:
    """`user_id`'s memberships in the organizations `caller` manages (staff: all)."""
    return Membership.objects.filter(
        organizations_filter(caller, manage=True, field="organization_id"), user_id=user_id
    )


# The session entry holding the id of the invitation a visitor opened (set by the invitation
# page): sign-up pages read it through `open_invitation` to let invitees sign up.
INVITATION_SESSION_KEY = "keyportal_invitation"


def has_verified_email(user: User, email: str) -> bool:
    """Tell whether `user` has proved they receive mail at `email` (allauth's verified
    addresses, compared in their normalized spelling)."""
    wanted = normalize_login_email(email)
    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return any(normalize_login_email(address) == wanted for address in verified)


def _open_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
    ).select_related("organization", "invited_by")


def open_invitation(invitation_id: object) -> Invitation | None:
    """The invitation with this id if it can still be accepted (pending, unexpired), else None.

    For the sign-up pages: a visitor who opened a valid invitation link carries its id in
    the session (`INVITATION_SESSION_KEY`), which lets them sign up when sign-up is closed.
    """
    pk = parse_uuid(invitation_id)
    return None if pk is None else _open_invitations().filter(pk=pk).first()


def pending_invitation_by_token(token: object) -> Invitation | None:
    """The pending invitation a link's token opens, past its expiry or not; else None."""
    if not looks_like_token(token):
        return None
    return (
        Invitation.objects.filter(token_hash=token_digest(token), status=InvitationStatus.PENDING)
        .select_related("organization", "invited_by")
        .first()
    )


def invitation_by_token(token: object) -> Invitation | None:
    """The invitation a link's token opens, if it can still be accepted; else None."""
    invitation = pending_invitation_by_token(token)
    return None if invitation is None or invitation.is_past_due else invitation


def pending_invitations(organization: Organization | object) -> QuerySet[Invitation]:
    """An organization's pending invitations (expired ones included until marked), newest
    first: what the Members tab lists."""
    return (
        Invitation.objects.filter(organization=organization, status=InvitationStatus.PENDING)
        .select_related("invited_by")
        .order_by("-created_at", "pk")
    )


def invitations_of(
    organization: Organization | object, status: str | None = None
) -> QuerySet[Invitation]:
    """An organization's invitations, newest first, optionally with one status as users see
    it (a pending invitation past its expiry counts as expired)."""
    invitations = Invitation.objects.filter(organization=organization).select_related("invited_by")
    now = timezone.now()
    if status == InvitationStatus.PENDING:
        invitations = invitations.filter(status=status, expires_at__gt=now)
    elif status == InvitationStatus.EXPIRED:
        invitations = invitations.filter(
            Q(status=status) | Q(status=InvitationStatus.PENDING, expires_at__lte=now)
        )
    elif status is not None:
        invitations = invitations.filter(status=status)
    return invitations.order_by("-created_at", "pk")


def invitation_in(organization: Organization | object, invitation_id: object) -> Invitation | None:
    """One invitation of `organization` (another organization's is None, like a missing one)."""
    pk = parse_uuid(invitation_id)
    if pk is None:
        return None
    return (
        Invitation.objects.filter(organization=organization, pk=pk)
        .select_related("organization", "invited_by")
        .first()
    )
