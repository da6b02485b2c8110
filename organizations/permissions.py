"""The role rules: the one place that decides who may read or manage an organization.

Every interface (REST API, Integrations pages, admin, management commands and the API-key
permission classes) asks these functions; none of them compares roles on its own.

- Owners and admins manage members and API keys; members only read.
- Only owners grant the owner role or change or remove an owner.
- An organization always keeps at least one owner.
- Only owners and admins read the audit log (it holds actors' emails and IP addresses).
- Staff users (`is_staff`) act as admins in every organization (as owners where they are);
  outside their own memberships, each staff power also needs its Django model permission
  (`require_manager(..., staff_permission=...)`): `is_staff` alone mints nothing.
- A credential acts with its user's current role: a key's effective scopes are the granted
  ones that role may still hold (`effective_scopes`, from the `APIKEYS_SCOPES` registry).
- No API key grants, changes or removes the owner role: only a signed-in owner does.
- Invitations follow the rules of adding a member (only owners invite owners); only owners
  and admins see them, since they hold the addresses of people who are not members yet.
- Only signed-in owners set the organization's two-factor rule; `two_factor_required` says
  whom it binds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.db.models import Q

from core.errors import Conflict, Forbidden
from organizations.models import Membership, Organization, Role, TwoFactorRule

if TYPE_CHECKING:
    from organizations.models import User


class KeyLike(Protocol):
    """What these rules read of an API key (organizations never imports `apikeys`)."""

    scopes: list[str]
    organization_id: object
    created_by: User
    # The role it acts with, set by authentication; absent on a key loaded otherwise.
    role: Role | None


MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})

NOT_A_MANAGER = "Only owners and admins of this organization can do this."
MISSING_SCOPE = "This API key does not have the required scope: {scope}"
WRONG_ORGANIZATION = "This API key does not have access to this organization"
MEMBERS_MANAGE_SCOPE = "members:manage"
ONLY_OWNERS_GRANT_OWNER = "Only owners can grant or remove the owner role."
LAST_OWNER = "An organization must keep at least one owner."
KEYS_CANNOT_TOUCH_OWNERS = (
    "An API key cannot grant, change or remove the owner role: a signed-in owner must do it."
)
STAFF_NEEDS_PERMISSION = (
    "Staff need the {permission} permission to do this in an organization they do not belong to."
)

# How far each role reaches: a role may hold every scope whose minimum it meets.
ROLE_RANK = {Role.MEMBER: 0, Role.ADMIN: 1, Role.OWNER: 2}


def resolve_role(user: User, membership_role: str | None) -> Role | None:
    """Return the role `user` acts with, given their membership role (or None)."""
    if not user.is_active:
        return None
    if membership_role is not None:
        role = Role(membership_role)
        if user.is_staff and role == Role.MEMBER:
            return Role.ADMIN
        return role
    return Role.ADMIN if user.is_staff else None


def role_in(user: User, organization: Organization | object) -> Role | None:
    """Return the role `user` acts with in `organization` (an instance or its id)."""
    if user is None or not user.is_authenticated:
        return None
    return resolve_role(user, membership_role(user, organization))


def membership_role(user: User, organization: Organization | object) -> str | None:
    """Return `user`'s stored membership role in `organization` (an instance or its id)."""
    return (
        Membership.objects.filter(
            user=user, organization_id=getattr(organization, "pk", organization)
        )
        .order_by()
        .values_list("role", flat=True)
        .first()
    )


def organizations_filter(user: User, *, manage: bool = False, field: str = "pk") -> Q:
    """The queryset form of these rules: a filter on `field` (a path to an organization id)
    keeping the organizations `user` may read, or with `manage` may manage."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    roles = MANAGER_ROLES if manage else set(Role)
    member_of = Membership.objects.filter(user=user, role__in=roles).values("organization_id")
    return Q(**{f"{field}__in": member_of})


def is_manager_role(role: Role | str | None) -> bool:
    return role is not None and Role(role) in MANAGER_ROLES


def can_view(user: User, organization: Organization | object) -> bool:
    return role_in(user, organization) is not None


def can_manage(user: User, organization: Organization | object) -> bool:
    return is_manager_role(role_in(user, organization))


def require_manager(
    user: User, organization: Organization | object, *, staff_permission: str | None = None
) -> Role:
    """Return the actor's role, or raise Forbidden unless they are an owner or admin.

    With `staff_permission` ("app_label.codename"), a staff user whose authority here comes
    from `is_staff` rather than an owner or admin membership must also hold that Django
    permission: the admin's permission system is how staff powers are handed out.
    """
    if user is None or not user.is_authenticated:
        raise Forbidden(NOT_A_MANAGER)
    stored = membership_role(user, organization)
    role = resolve_role(user, stored)
    if not is_manager_role(role):
        raise Forbidden(NOT_A_MANAGER)
    staff_granted = not is_manager_role(stored)
    if staff_permission and staff_granted and not user.has_perm(staff_permission):
        raise Forbidden(STAFF_NEEDS_PERMISSION.format(permission=staff_permission))
    return role


def role_at_least(role: Role | str | None, minimum: Role | str) -> bool:
    """Tell whether `role` reaches `minimum` (owner > admin > member; None reaches nothing)."""
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


_allowed_scopes: tuple[object, dict[Role, frozenset[str]]] = (None, {})


def scopes_allowed(role: Role | str | None) -> frozenset[str]:
    """The scopes `role` may hold, by the minimum role each has in `APIKEYS_SCOPES`."""
    global _allowed_scopes
    registry = settings.APIKEYS_SCOPES
    source, by_role = _allowed_scopes
    if source is not registry:  # worked out once per registry, not per request
        by_role = {
            r: frozenset(
                name for name, entry in registry.items() if role_at_least(r, entry["role"])
            )
            for r in Role
        }
        _allowed_scopes = (registry, by_role)
    return by_role.get(role, frozenset()) if role is not None else frozenset()


def key_role(key: KeyLike) -> Role | None:
    """Return the role an API key acts with: its creator's current role in its organization.

    Authentication sets `key.role` from its one lookup; otherwise it is read here.
    """
    role = getattr(key, "role", None)
    return role if role is not None else role_in(key.created_by, key.organization_id)


def require_key_scope(key: KeyLike | None, scope: str) -> None:
    """Raise Forbidden unless `key` (None: no key, nothing to check) holds `scope` in effect."""
    if key is not None and scope not in effective_scopes(key.scopes, key_role(key)):
        raise Forbidden(MISSING_SCOPE.format(scope=scope))


def effective_scopes(granted: Iterable[str], role: Role | str | None) -> list[str]:
    """The granted scopes `role` still allows: what a key may do now. No I/O."""
    allowed = scopes_allowed(role)
    return [scope for scope in granted if scope in allowed]


def check_membership_change(
    *,
    actor_role: Role | None,
    current: str | None,
    new: str | None,
    owner_count: int,
    through_key: bool = False,
) -> None:
    """Raise unless an actor with `actor_role` may move a member from `current` to `new`.

    `current` None means adding a member; `new` None means removing one. `owner_count` is
    the organization's number of owners before the change (read under a row lock).
    `through_key` says the actor acts through an API key, which never touches the owner role:
    a leaked key must not be able to take an organization over.
    """
    if not is_manager_role(actor_role):
        raise Forbidden(NOT_A_MANAGER)
    touches_owner = Role.OWNER in (current, new)
    if touches_owner and through_key:
        raise Forbidden(KEYS_CANNOT_TOUCH_OWNERS)
    if touches_owner and actor_role != Role.OWNER:
        raise Forbidden(ONLY_OWNERS_GRANT_OWNER)
    if current == Role.OWNER and new != Role.OWNER and owner_count <= 1:
        raise Conflict(LAST_OWNER)


AUDIT_NOT_VISIBLE = "Only owners and admins can read this organization's audit log."


def can_read_audit(role: Role | str | None) -> bool:
    """Tell whether a role may read an organization's audit log (it holds IPs and emails).

    Members read keys and members, but not who did what from where: each event carries the
    actor's email and IP address. Staff pass as admins (see `resolve_role`). The pages, the
    API and the admin ask this function rather than `is_manager_role`, so the audit rule
    stays one decision even if who manages and who audits ever differ.
    """
    return role is not None and Role(role) in MANAGER_ROLES


INVITATIONS_NOT_VISIBLE = "Only owners and admins of this organization can see its invitations."
ONLY_OWNERS_SET_TWO_FACTOR = "Only owners can change the organization's two-factor rule."


def can_see_invitations(role: Role | str | None) -> bool:
    """Tell whether a role may list an organization's invitations (outsiders' addresses)."""
    return is_manager_role(role)


def can_set_two_factor_rule(role: Role | str | None) -> bool:
    """Tell whether a role may change the two-factor rule (owners only: an admin must not
    be able to loosen what protects the owners' accounts)."""
    return role is not None and Role(role) == Role.OWNER


def two_factor_required(role: Role | str | None, rule: TwoFactorRule | str) -> bool:
    """Tell whether someone acting with `role` must use two-factor under `rule`. No I/O.

    `managers` binds owners and admins (staff acting as admins included), `everyone` binds
    every role, `off` no one. No role (not a member) is bound by nothing here.
    """
    if role is None:
        return False
    if rule == TwoFactorRule.EVERYONE:
        return True
    if rule == TwoFactorRule.MANAGERS:
        return is_manager_role(role)
    return False


TWO_FACTOR_REQUIRED = (
    "This organization requires two-factor authentication for your role: set up an "
    "authenticator app to continue."
)


def has_two_factor(user: User) -> bool:
    """Tell whether `user` has an authenticator app (allauth.mfa's TOTP) set up."""
    # Imported here: allauth's models load only once the app registry is ready.
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user, types=[Authenticator.Type.TOTP])


def lacks_required_two_factor(
    user: User, organization: Organization | object, role: Role | str | None = None
) -> bool:
    """Tell whether `user` must set up two-factor before using `organization` (an instance
    or its id): its rule binds the role they act with there (`role`, when the caller has
    it) and they have no authenticator app. The pages send them to set one up; the API
    refuses them (403). A loaded organization costs no query while its rule is off."""
    if isinstance(organization, Organization):
        rule = organization.two_factor_rule
    else:
        rule = (
            Organization.objects.filter(pk=organization)
            .values_list("two_factor_rule", flat=True)
            .first()
        )
    if rule is None or rule == TwoFactorRule.OFF:
        return False
    role = role if role is not None else role_in(user, organization)
    return two_factor_required(role, rule) and not has_two_factor(user)
