"""A key can never do more than the person and the key that made it.

Each test names a property that an attacker holding a key (or a staff member without the
right permission) broke on the code before the governance rules were enforced in the
services.
"""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import services
from apikeys.authentication import KEY_REVOKED
from apikeys.models import APIKey, KeyStatus, Mode
from apikeys.permissions import MISSING_SCOPE
from apikeys.services.bounds import WRONG_ORGANIZATION
from apikeys.validation import SCOPE_ABOVE_ROLE
from core.errors import Forbidden
from core.models import AuditAction, AuditEvent
from organizations import services as org_services
from organizations.models import Invitation, Membership, Role
from organizations.permissions import KEYS_CANNOT_TOUCH_OWNERS, STAFF_NEEDS_PERMISSION
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import KEYS, detail, signed_in

pytestmark = pytest.mark.django_db

MANAGE = ["api_keys:manage", "records:read"]
MEMBERS = "/api/organizations/{org}/members/"
INVITATIONS = "/api/organizations/{org}/invitations/"


def with_raw(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def acts(client, key, action, body=None):
    return client.post(f"{KEYS}{key.pk}/{action}/", body or {}, format="json")


# The acting credential is explicit ------------------------------------------------------

LIFECYCLE = [
    services.api_key_create,
    services.api_key_rotate,
    services.api_key_rename,
    services.api_key_pause,
    services.api_key_resume,
    services.api_key_set_default,
    services.api_key_remove_default,
    services.api_key_revoke,
    services.api_key_set_rate_limits,
    org_services.member_add,
    org_services.member_change_role,
    org_services.member_remove,
    org_services.invitation_create,
    org_services.invitation_resend,
    org_services.invitation_revoke,
]


@pytest.mark.parametrize("service", LIFECYCLE, ids=lambda s: s.__name__)
def test_every_lifecycle_service_requires_the_acting_credential_by_keyword(service):
    parameter = inspect.signature(service).parameters["acting_key"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert parameter.default is inspect.Parameter.empty


# Rotation ---------------------------------------------------------------------------------


def test_a_managing_key_cannot_rotate_a_broader_key_into_its_plaintext(key_client, make_key):
    broad, broad_raw = make_key(name="Broad", scopes=["records:write", "webhooks:manage"])
    client = key_client(scopes=["api_keys:manage"])

    response = acts(client, broad, "rotate")

    assert response.status_code == 403
    assert "key" not in response.json()
    assert (
        services.ACTS_ON_BROADER.format(dimensions="scopes (records:write, webhooks:manage)")
        == (response.json()["detail"])
    )
    assert APIKey.objects.filter(rotated_from=broad).count() == 0
    assert with_raw(broad_raw).get("/api/auth/me/").status_code == 200


def test_rotating_a_paused_key_gives_a_paused_replacement(owner, make_key):
    key, _ = make_key()
    services.api_key_pause(key=key, actor=owner, acting_key=None)

    response = acts(signed_in(owner), key, "rotate")

    assert response.status_code == 201
    assert response.json()["status"] == "paused"
    assert with_raw(response.json()["key"]).get("/api/auth/me/").status_code == 401
    assert APIKey.objects.get(pk=response.json()["id"]).paused_at is not None


@pytest.mark.parametrize(
    ("action", "prepare"),
    [
        ("pause", None),
        ("resume", "pause"),
        ("set-default", None),
        ("remove-default", "set_default"),
        ("rotate", None),
    ],
)
def test_a_key_cannot_act_on_a_broader_key(owner, key_client, make_key, action, prepare):
    broad, _ = make_key(name="Broad", scopes=["records:write"])
    if prepare:
        getattr(services, f"api_key_{prepare}")(key=broad, actor=owner, acting_key=None)
    before = APIKey.objects.values().get(pk=broad.pk)

    response = acts(key_client(scopes=MANAGE), broad, action)

    assert response.status_code == 403
    assert APIKey.objects.values().get(pk=broad.pk) == before


def test_a_key_cannot_rename_or_revoke_a_broader_key(key_client, make_key):
    broad, _ = make_key(name="Broad", scopes=["records:write"])
    client = key_client(scopes=MANAGE)

    renamed = client.patch(detail(broad), {"name": "Mine now"}, format="json")
    revoked = client.delete(detail(broad))

    assert (renamed.status_code, revoked.status_code) == (403, 403)
    broad.refresh_from_db()
    assert (broad.name, broad.status) == ("Broad", KeyStatus.ACTIVE)


def test_a_test_key_cannot_steer_a_live_key(key_client, make_key):
    live, _ = make_key(name="Live", scopes=["records:read"])
    client = key_client(scopes=MANAGE, mode=Mode.TEST)

    response = client.delete(detail(live))

    assert response.status_code == 403
    assert "mode (live)" in response.json()["detail"]


def test_an_expiring_key_cannot_steer_a_key_that_outlives_it(key_client, make_key):
    forever, _ = make_key(name="Forever")
    client = key_client(scopes=MANAGE, expires_at=timezone.now() + timedelta(hours=1))

    response = acts(client, forever, "pause")

    assert response.status_code == 403
    assert "expiry" in response.json()["detail"]


def test_a_key_may_act_on_keys_it_could_have_minted_including_itself(key_client, make_key):
    narrow, _ = make_key(name="Narrow", scopes=["records:read"])
    client = key_client(scopes=MANAGE)

    assert acts(client, narrow, "pause").status_code == 200
    assert acts(client, client.key, "rotate").status_code == 201


# Minting bounds ---------------------------------------------------------------------------


def test_a_test_key_never_mints_a_live_key(key_client):
    client = key_client(scopes=MANAGE, mode=Mode.TEST)

    live = client.post(KEYS, {"name": "Live", "mode": "live"}, format="json")
    test = client.post(KEYS, {"name": "Test", "mode": "test"}, format="json")

    assert live.status_code == 403
    assert live.json()["detail"] == services.MODE_ESCALATION.format(mode="test")
    assert test.status_code == 201


def test_a_key_that_expires_cannot_mint_one_that_outlives_it(key_client):
    own_expiry = timezone.now() + timedelta(hours=1)
    client = key_client(scopes=MANAGE, expires_at=own_expiry)
    later = (own_expiry + timedelta(minutes=1)).isoformat()
    sooner = (own_expiry - timedelta(minutes=1)).isoformat()

    never = client.post(KEYS, {"name": "Never"}, format="json")
    too_late = client.post(KEYS, {"name": "Later", "expires_at": later}, format="json")
    fine = client.post(KEYS, {"name": "Sooner", "expires_at": sooner}, format="json")

    expected = services.EXPIRY_ESCALATION.format(expiry=own_expiry.isoformat())
    assert (never.status_code, never.json()["detail"]) == (403, expected)
    assert (too_late.status_code, too_late.json()["detail"]) == (403, expected)
    assert fine.status_code == 201
    assert APIKey.objects.count() == 2


def test_staff_set_limits_bind_the_keys_a_key_mints(org, owner, staff, key_client):
    client = key_client(scopes=MANAGE)
    services.api_key_set_rate_limits(
        key=client.key, actor=staff, acting_key=None, per_minute=10, per_hour=None
    )

    minted = client.post(KEYS, {"name": "Child"}, format="json")

    assert minted.status_code == 201
    child = APIKey.objects.get(pk=minted.json()["id"])
    assert (child.rate_limit_per_minute, child.rate_limit_per_hour) == (10, None)
    client.key.refresh_from_db()  # as the next request's lookup reads it
    with pytest.raises(Forbidden) as error:
        services.api_key_create(
            organization=org,
            actor=owner,
            acting_key=client.key,
            name="Faster",
            rate_limit_per_minute=50,
        )
    assert error.value.field == "rate_limit_per_minute"


def test_a_key_never_mints_in_another_organization(other_org, outsider, key_client):
    client = key_client(scopes=MANAGE)
    MembershipFactory(organization=other_org, user=client.key.created_by, role=Role.OWNER)

    with pytest.raises(Forbidden) as error:
        services.api_key_create(
            organization=other_org,
            actor=client.key.created_by,
            acting_key=client.key,
            name="Elsewhere",
        )
    assert error.value.message == WRONG_ORGANIZATION
    assert not APIKey.objects.filter(organization=other_org).exists()


# Members: their own scope, and never the owner role through a key ----------------------


def test_a_key_managing_keys_cannot_manage_members(key_client, org):
    outsider = UserFactory(email="attacker@example.com")
    client = key_client(scopes=["api_keys:manage", "organization:read"])

    response = client.post(
        INVITATIONS.format(org=org.pk), {"email": outsider.email, "role": "admin"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": MISSING_SCOPE.format(scope="members:manage")}
    assert not Invitation.objects.exists()
    assert not Membership.objects.filter(user=outsider).exists()


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [
        ("post", INVITATIONS, {"email": "newcomer@example.com", "role": "owner"}),
        ("patch", MEMBERS + "{owner}/", {"role": "admin"}),
        ("delete", MEMBERS + "{owner}/", None),
        ("patch", MEMBERS + "{admin}/", {"role": "owner"}),
    ],
    ids=["invite an owner", "demote owner", "remove owner", "promote to owner"],
)
def test_no_key_touches_the_owner_role(key_client, org, owner, admin, method, target, body):
    UserFactory(email="newcomer@example.com")
    client = key_client(scopes=["members:manage"])
    roles_before = dict(Membership.objects.values_list("user__email", "role"))

    url = target.format(org=org.pk, owner=owner.pk, admin=admin.pk)
    response = getattr(client, method)(url, body, format="json")

    assert (response.status_code, response.json()) == (403, {"detail": KEYS_CANNOT_TOUCH_OWNERS})
    assert dict(Membership.objects.values_list("user__email", "role")) == roles_before
    assert not Invitation.objects.exists()


def test_a_members_key_manages_admins_and_members(key_client, org, member):
    client = key_client(scopes=["members:manage"])

    promoted = client.patch(
        f"{MEMBERS.format(org=org.pk)}{member.pk}/", {"role": "admin"}, format="json"
    )

    assert promoted.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_ROLE_CHANGED)
    assert event.actor_key == client.key


# A key follows its creator's current role ------------------------------------------------


@pytest.mark.urls("tests.apikeys.downstream")
def test_a_demoted_admins_key_loses_the_admin_scopes_at_once(
    org, admin, owner, make_key, django_assert_num_queries
):
    _, raw = make_key(actor=admin, scopes=["records:read", "records:write"])
    client = with_raw(raw)
    assert client.get("/records/write/").status_code == 200

    org_services.member_change_role(
        organization=org, actor=owner, acting_key=None, user=admin, role=Role.MEMBER
    )

    with django_assert_num_queries(1):  # the role comes with the key's one lookup
        refused = client.get("/records/write/")
    assert refused.status_code == 403
    assert refused.json() == {"detail": MISSING_SCOPE.format(scope="records:write")}
    assert client.get("/records/").status_code == 200


def test_me_shows_granted_and_effective_scopes(org, admin, owner, make_key):
    _, raw = make_key(actor=admin, scopes=["records:read", "records:write"])
    org_services.member_change_role(
        organization=org, actor=owner, acting_key=None, user=admin, role=Role.MEMBER
    )

    key = with_raw(raw).get("/api/auth/me/").json()["api_key"]

    assert key["scopes"] == ["records:read", "records:write"]
    assert key["effective_scopes"] == ["records:read"]


def test_removing_a_member_revokes_each_of_their_keys_with_an_audit_event(
    org, owner, admin, make_key
):
    _, first_raw = make_key(actor=admin, name="First")
    second, _ = make_key(actor=admin, name="Second")
    services.api_key_pause(key=second, actor=owner, acting_key=None)
    others, _ = make_key(actor=owner, name="Owner's")

    response = signed_in(owner).delete(f"{MEMBERS.format(org=org.pk)}{admin.pk}/")

    assert response.status_code == 204
    revoked = AuditEvent.objects.filter(action=AuditAction.KEY_REVOKED)
    assert sorted(revoked.values_list("api_key__name", flat=True)) == ["First", "Second"]
    assert all(e.details["reason"] == "creator_removed" for e in revoked)
    assert with_raw(first_raw).get("/api/auth/me/").json() == {"detail": KEY_REVOKED}
    others.refresh_from_db()
    assert others.status == KeyStatus.ACTIVE


def test_re_adding_a_removed_member_never_revives_an_old_key(org, owner, admin, make_key):
    _, raw = make_key(actor=admin)
    org_services.member_remove(organization=org, actor=owner, acting_key=None, user=admin)
    org_services.member_add(
        organization=org, actor=owner, acting_key=None, email=admin.email, role=Role.ADMIN
    )

    assert with_raw(raw).get("/api/auth/me/").json() == {"detail": KEY_REVOKED}


def test_an_owner_can_transfer_a_leaving_members_keys(org, owner, admin, member, make_key):
    key, raw = make_key(actor=admin, scopes=["records:read", "records:write"])

    response = signed_in(owner).delete(
        f"{MEMBERS.format(org=org.pk)}{admin.pk}/?transfer_to={member.pk}"
    )

    assert response.status_code == 204
    me = with_raw(raw).get("/api/auth/me/").json()
    assert (me["email"], me["api_key"]["effective_scopes"]) == (member.email, ["records:read"])
    event = AuditEvent.objects.get(action=AuditAction.KEY_TRANSFERRED)
    assert (event.api_key_id, event.details) == (key.pk, {"from": admin.email, "to": member.email})


@pytest.mark.parametrize("target", ["leaving", "outsider", "unknown"])
def test_a_transfer_only_goes_to_a_remaining_member(org, owner, admin, outsider, target):
    transfer_to = {
        "leaving": admin.pk,
        "outsider": outsider.pk,
        "unknown": "9b2f3c1e-0000-4000-8000-000000000000",
    }[target]

    response = signed_in(owner).delete(
        f"{MEMBERS.format(org=org.pk)}{admin.pk}/", {"transfer_to": str(transfer_to)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["transfer_to"] == [org_services.TRANSFER_TO_INVALID]
    assert Membership.objects.filter(organization=org, user=admin).exists()


# Staff ----------------------------------------------------------------------------------


def test_staff_without_the_add_permission_cannot_mint_keys_through_the_api(bare_staff, org):
    response = signed_in(bare_staff).post(
        KEYS, {"name": "Mine", "organization_id": str(org.pk)}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": STAFF_NEEDS_PERMISSION.format(permission="apikeys.add_apikey")
    }
    assert not APIKey.objects.exists()


def test_staff_without_the_change_permission_cannot_revoke_keys(bare_staff, make_key):
    key, _ = make_key()

    response = signed_in(bare_staff).delete(detail(key))

    assert response.status_code == 403
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_a_key_staff_make_for_a_member_is_bounded_by_the_members_role(staff, org, member):
    with pytest.raises(Forbidden) as error:
        services.api_key_create(
            organization=org,
            actor=staff,
            acting_key=None,
            created_by=member,
            name="Too strong",
            scopes=["records:write"],
        )
    assert error.value.message == SCOPE_ABOVE_ROLE.format(role="Member", scopes="records:write")

    key, _ = services.api_key_create(
        organization=org,
        actor=staff,
        acting_key=None,
        created_by=member,
        name="Reader",
        scopes=["records:read"],
    )
    event = AuditEvent.objects.get(action=AuditAction.KEY_CREATED)
    assert (key.created_by, event.actor, event.details["acts_as"]) == (
        member,
        staff,
        member.email,
    )


def test_no_key_changes_rate_limits_not_even_a_staff_members(staff, org, make_key):
    MembershipFactory(organization=org, user=staff, role=Role.OWNER)
    acting, _ = make_key(actor=staff, scopes=MANAGE)
    target, _ = make_key(actor=staff)

    with pytest.raises(Forbidden):
        services.api_key_set_rate_limits(
            key=target, actor=staff, acting_key=acting, per_minute=10_000, per_hour=None
        )
