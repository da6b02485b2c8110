"""The key lifecycle (apikeys.services): every transition, every refusal, every audit event."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apikeys import conf, keys, services, validation
from apikeys.models import APIKey, EffectiveStatus, KeyStatus
from core.audit import AuditContext
from core.errors import Conflict, Forbidden, InvalidInput
from core.models import AuditAction, AuditEvent
from tests.factories import APIKeyFactory

pytestmark = pytest.mark.django_db


def actions_for(key):
    return list(AuditEvent.objects.filter(api_key=key).values_list("action", flat=True))


# create ---------------------------------------------------------------------------------


def test_create_returns_the_plaintext_once_and_stores_only_its_digest(org, owner):
    key, raw = services.api_key_create(
        organization=org,
        actor=owner,
        name="  Production Integration ",
        mode="test",
        scopes=["records:read", "api_keys:manage", "records:read"],
        acting_key=None,
    )
    key.refresh_from_db()
    assert raw.startswith("kp_test_") and key.prefix == raw[:16]
    assert key.name == "Production Integration"
    assert key.scopes == ["api_keys:manage", "records:read"]
    assert key.hashed_key == keys.digest(raw, conf.pepper())
    assert key.hash_version == keys.HASH_VERSION
    assert raw not in str(APIKey.objects.filter(pk=key.pk).values().get())
    assert key.created_by == owner and key.status == KeyStatus.ACTIVE


def test_create_writes_one_audit_event_with_the_request_context(org, owner):
    context = AuditContext(ip="203.0.113.9", request_id="req-42")
    key, raw = services.api_key_create(
        organization=org, actor=owner, name="CI", context=context, acting_key=None
    )
    event = AuditEvent.objects.get(api_key=key)
    assert event.action == AuditAction.KEY_CREATED
    assert (event.actor, event.organization, event.ip, event.request_id) == (
        owner,
        org,
        "203.0.113.9",
        "req-42",
    )
    assert raw not in str(event.details)


def test_admins_and_staff_may_create_keys(org, admin, staff):
    assert (
        services.api_key_create(organization=org, actor=admin, name="a", acting_key=None)[
            0
        ].created_by
        == admin
    )
    assert (
        services.api_key_create(organization=org, actor=staff, name="s", acting_key=None)[
            0
        ].created_by
        == staff
    )


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_members_and_outsiders_may_not_create_keys(request, org, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(Forbidden):
        services.api_key_create(organization=org, actor=actor, name="nope", acting_key=None)
    assert not APIKey.objects.exists()


def test_a_deactivated_owner_may_not_create_keys(org, owner):
    owner.is_active = False
    owner.save()
    with pytest.raises(Forbidden):
        services.api_key_create(organization=org, actor=owner, name="nope", acting_key=None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, validation.NAME_REQUIRED),
        ({"name": "   "}, validation.NAME_REQUIRED),
        ({"name": "x" * 101}, validation.NAME_TOO_LONG),
        ({"name": "bad\x00name"}, validation.NAME_INVISIBLE_CHARACTERS),
        ({"mode": "prod"}, validation.MODE_INVALID),
        ({"scopes": ["records:read", "root"]}, validation.SCOPE_UNKNOWN.format(scope="root")),
        ({"scopes": "records:read"}, validation.SCOPES_INVALID),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, validation.EXPIRY_IN_PAST),
        ({"rate_limit_per_minute": 0}, validation.RATE_LIMIT_INVALID),
    ],
)
def test_create_refuses_bad_input_and_creates_nothing(org, owner, kwargs, message):
    kwargs = {"name": "Integration", **kwargs}
    with pytest.raises(InvalidInput) as error:
        services.api_key_create(organization=org, actor=owner, acting_key=None, **kwargs)
    assert error.value.message == message
    assert not APIKey.objects.exists() and not AuditEvent.objects.exists()


def test_a_key_cannot_mint_a_key_with_scopes_it_does_not_hold(org, owner, make_key):
    parent, _ = make_key(scopes=["api_keys:manage", "records:read"])
    with pytest.raises(Forbidden) as error:
        services.api_key_create(
            organization=org,
            actor=owner,
            name="child",
            scopes=["records:write"],
            acting_key=parent,
        )
    assert error.value.message == services.SCOPE_ESCALATION.format(scopes="records:write")
    child, _ = services.api_key_create(
        organization=org,
        actor=owner,
        name="child",
        scopes=["records:read"],
        acting_key=parent,
    )
    assert AuditEvent.objects.get(api_key=child).actor_key == parent


def test_default_scopes_apply_when_none_are_given(org, owner, settings):
    settings.APIKEYS_DEFAULT_SCOPES = ["devices:read"]
    key, _ = services.api_key_create(organization=org, actor=owner, name="x", acting_key=None)
    assert key.scopes == ["devices:read"]


# rename, pause, resume -----------------------------------------------------------------


def test_rename_changes_only_the_name_and_is_audited(make_key, admin):
    key, _ = make_key()
    services.api_key_rename(key=key, actor=admin, name="Billing sync", acting_key=None)
    key.refresh_from_db()
    assert key.name == "Billing sync"
    event = AuditEvent.objects.get(action=AuditAction.KEY_RENAMED)
    assert event.details == {"from": "Production Integration", "to": "Billing sync"}


def test_pause_then_resume(make_key, owner):
    key, _ = make_key()
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    key.refresh_from_db()
    assert key.status == KeyStatus.PAUSED and key.paused_at is not None
    services.api_key_resume(key=key, actor=owner, acting_key=None)
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE and key.paused_at is None
    assert actions_for(key) == [
        AuditAction.KEY_RESUMED,
        AuditAction.KEY_PAUSED,
        AuditAction.KEY_CREATED,
    ]


def test_pausing_twice_or_resuming_an_active_key_is_a_conflict(make_key, owner):
    key, _ = make_key()
    with pytest.raises(Conflict, match=services.RESUME_NEEDS_PAUSED):
        services.api_key_resume(key=key, actor=owner, acting_key=None)
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    with pytest.raises(Conflict, match=services.PAUSE_NEEDS_ACTIVE):
        services.api_key_pause(key=key, actor=owner, acting_key=None)


def test_an_expired_key_can_be_neither_resumed_nor_paused(org, owner):
    paused = APIKeyFactory(
        organization=org,
        created_by=owner,
        status=KeyStatus.PAUSED,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    with pytest.raises(Conflict, match=services.ALREADY_EXPIRED):
        services.api_key_resume(key=paused, actor=owner, acting_key=None)
    active = APIKeyFactory(
        organization=org, created_by=owner, expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(Conflict, match=services.ALREADY_EXPIRED):
        services.api_key_pause(key=active, actor=owner, acting_key=None)


def test_a_revoked_key_cannot_be_resumed(make_key, owner):
    key, _ = make_key()
    services.api_key_revoke(key=key, actor=owner, acting_key=None)
    with pytest.raises(Conflict, match=services.ALREADY_REVOKED):
        services.api_key_resume(key=key, actor=owner, acting_key=None)


# default ---------------------------------------------------------------------------------


def test_set_default_moves_the_flag_from_the_previous_default(make_key, owner):
    first, _ = make_key(name="first")
    second, _ = make_key(name="second")
    services.api_key_set_default(key=first, actor=owner, acting_key=None)
    services.api_key_set_default(key=second, actor=owner, acting_key=None)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    event = AuditEvent.objects.filter(action=AuditAction.KEY_DEFAULT_SET).first()
    assert event.details == {"previous_default": first.prefix}


def test_the_database_holds_at_most_one_default_per_organization(org, owner):
    APIKeyFactory(organization=org, created_by=owner, is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        APIKeyFactory(organization=org, created_by=owner, is_default=True)


def test_other_organizations_keep_their_own_default(make_key, owner, other_org, outsider):
    mine, _ = make_key()
    theirs, _ = services.api_key_create(
        organization=other_org, actor=outsider, name="t", acting_key=None
    )
    services.api_key_set_default(key=mine, actor=owner, acting_key=None)
    services.api_key_set_default(key=theirs, actor=outsider, acting_key=None)
    mine.refresh_from_db()
    assert mine.is_default


def test_only_an_active_key_can_be_the_default(make_key, owner):
    key, _ = make_key()
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    with pytest.raises(Conflict, match=services.DEFAULT_NEEDS_ACTIVE):
        services.api_key_set_default(key=key, actor=owner, acting_key=None)


def test_remove_default(make_key, owner):
    key, _ = make_key()
    with pytest.raises(Conflict, match=services.NOT_DEFAULT):
        services.api_key_remove_default(key=key, actor=owner, acting_key=None)
    services.api_key_set_default(key=key, actor=owner, acting_key=None)
    services.api_key_remove_default(key=key, actor=owner, acting_key=None)
    key.refresh_from_db()
    assert not key.is_default


@pytest.mark.parametrize("action", ["api_key_pause", "api_key_revoke"])
def test_pausing_or_revoking_the_default_clears_the_flag(make_key, owner, action):
    key, _ = make_key()
    services.api_key_set_default(key=key, actor=owner, acting_key=None)
    getattr(services, action)(key=key, actor=owner, acting_key=None)
    key.refresh_from_db()
    assert not key.is_default


def test_an_expired_default_no_longer_reads_as_default(org, owner):
    key = APIKeyFactory(
        organization=org,
        created_by=owner,
        is_default=True,
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert key.effective_status() == EffectiveStatus.EXPIRED
    assert not key.is_effective_default()


# revoke ----------------------------------------------------------------------------------


def test_revoke_is_final_and_records_who_and_when(make_key, owner, admin):
    key, _ = make_key()
    services.api_key_revoke(key=key, actor=admin, acting_key=None)
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED
    assert key.revoked_by == admin and key.revoked_at is not None
    with pytest.raises(Conflict, match=services.ALREADY_REVOKED):
        services.api_key_revoke(key=key, actor=owner, acting_key=None)


def test_revoke_works_from_paused_and_expired(org, owner, make_key):
    paused, _ = make_key()
    services.api_key_pause(key=paused, actor=owner, acting_key=None)
    expired = APIKeyFactory(
        organization=org, created_by=owner, expires_at=timezone.now() - timedelta(days=1)
    )
    for key in (paused, expired):
        services.api_key_revoke(key=key, actor=owner, acting_key=None)
        key.refresh_from_db()
        assert key.effective_status() == KeyStatus.REVOKED


def test_a_member_cannot_revoke_and_nothing_changes(make_key, member):
    key, _ = make_key()
    with pytest.raises(Forbidden):
        services.api_key_revoke(key=key, actor=member, acting_key=None)
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE
    assert actions_for(key) == [AuditAction.KEY_CREATED]


def test_an_owner_of_another_organization_cannot_touch_the_key(make_key, outsider):
    key, _ = make_key()
    for service in (
        services.api_key_pause,
        services.api_key_revoke,
        services.api_key_set_default,
        services.api_key_rotate,
    ):
        with pytest.raises(Forbidden):
            service(key=key, actor=outsider, acting_key=None)


# rotate ----------------------------------------------------------------------------------


def test_rotate_without_grace_revokes_the_old_key_at_once(make_key, owner):
    expiry = timezone.now() + timedelta(days=30)
    old, old_raw = make_key(mode="test", scopes=["devices:read"], expires_at=expiry)
    services.api_key_set_default(key=old, actor=owner, acting_key=None)
    new, new_raw = services.api_key_rotate(key=old, actor=owner, acting_key=None)
    old.refresh_from_db()
    assert new_raw != old_raw and new.prefix == new_raw[:16]
    assert (new.name, new.mode, new.scopes, new.expires_at, new.is_default) == (
        old.name,
        "test",
        ["devices:read"],
        expiry,
        True,
    )
    assert new.rotated_from == old
    assert old.status == KeyStatus.REVOKED and not old.is_default and old.is_rotated
    event = AuditEvent.objects.get(action=AuditAction.KEY_ROTATED)
    assert event.api_key == old and event.details["new_key"] == new.prefix


def test_rotate_with_a_grace_period_keeps_the_old_key_working_until_it_ends(make_key, owner):
    old, _ = make_key()
    before = timezone.now()
    new, _ = services.api_key_rotate(
        key=old, actor=owner, grace_period_seconds=3600, acting_key=None
    )
    old.refresh_from_db()
    assert old.effective_status() == KeyStatus.ACTIVE
    assert before + timedelta(seconds=3600) <= old.expires_at
    assert old.expires_at <= timezone.now() + timedelta(seconds=3600)
    assert new.expires_at is None  # the replacement keeps the original (absent) expiry


def test_a_grace_period_never_extends_an_earlier_expiry(make_key, owner):
    soon = timezone.now() + timedelta(minutes=5)
    old, _ = make_key(expires_at=soon)
    new, _ = services.api_key_rotate(
        key=old, actor=owner, grace_period_seconds=86400, acting_key=None
    )
    old.refresh_from_db()
    assert old.expires_at == soon and new.expires_at == soon


@pytest.mark.parametrize("grace", [-1, 86401, "60", 1.5, True])
def test_rotate_refuses_a_grace_period_out_of_range(make_key, owner, grace):
    old, _ = make_key()
    with pytest.raises(InvalidInput):
        services.api_key_rotate(key=old, actor=owner, grace_period_seconds=grace, acting_key=None)
    assert APIKey.objects.count() == 1


def test_a_key_is_rotated_once_and_revoked_keys_not_at_all(make_key, owner):
    old, _ = make_key()
    services.api_key_rotate(key=old, actor=owner, grace_period_seconds=60, acting_key=None)
    with pytest.raises(Conflict, match=services.ALREADY_ROTATED):
        services.api_key_rotate(key=old, actor=owner, acting_key=None)
    with pytest.raises(Conflict, match=services.DEFAULT_NOT_ROTATED):
        services.api_key_set_default(key=old, actor=owner, acting_key=None)
    revoked, _ = make_key()
    services.api_key_revoke(key=revoked, actor=owner, acting_key=None)
    with pytest.raises(Conflict, match=services.ALREADY_REVOKED):
        services.api_key_rotate(key=revoked, actor=owner, acting_key=None)


def test_every_service_writes_exactly_one_audit_event(make_key, owner):
    key, _ = make_key()
    steps = [
        lambda: services.api_key_rename(key=key, actor=owner, name="n", acting_key=None),
        lambda: services.api_key_set_default(key=key, actor=owner, acting_key=None),
        lambda: services.api_key_remove_default(key=key, actor=owner, acting_key=None),
        lambda: services.api_key_pause(key=key, actor=owner, acting_key=None),
        lambda: services.api_key_resume(key=key, actor=owner, acting_key=None),
        lambda: services.api_key_rotate(key=key, actor=owner, acting_key=None),
    ]
    for step in steps:
        before = AuditEvent.objects.count()
        step()
        assert AuditEvent.objects.count() == before + 1


def test_audit_events_are_append_only(make_key):
    _key, _ = make_key()
    event = AuditEvent.objects.get()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_staff_may_create_a_key_acting_as_a_member_and_the_audit_names_the_staff(
    org, staff, member
):
    key, _ = services.api_key_create(
        organization=org, actor=staff, name="x", created_by=member, acting_key=None
    )
    event = AuditEvent.objects.get(api_key=key)
    assert key.created_by == member
    assert (event.actor, event.details["acts_as"]) == (staff, member.email)


def test_a_key_cannot_act_as_someone_outside_the_organization(org, owner, outsider):
    with pytest.raises(InvalidInput, match=validation.ACTS_AS_NOT_MEMBER):
        services.api_key_create(
            organization=org, actor=owner, name="x", created_by=outsider, acting_key=None
        )
    assert not APIKey.objects.exists()


def test_staff_override_a_keys_rate_limits_and_none_restores_the_default(make_key, staff):
    key, _ = make_key()
    services.api_key_set_rate_limits(
        key=key, actor=staff, per_minute=10, per_hour=None, acting_key=None
    )
    key.refresh_from_db()
    assert (key.rate_limit_per_minute, key.rate_limit_per_hour) == (10, None)
    event = AuditEvent.objects.get(action=AuditAction.KEY_RATE_LIMITS_CHANGED)
    assert event.details == {
        "from": {"per_minute": None, "per_hour": None},
        "to": {"per_minute": 10, "per_hour": None},
    }
    services.api_key_set_rate_limits(
        key=key, actor=staff, per_minute=None, per_hour=None, acting_key=None
    )
    key.refresh_from_db()
    assert key.rate_limit_per_minute is None


def test_owners_cannot_lift_their_own_keys_rate_limits(make_key, owner):
    key, _ = make_key()
    with pytest.raises(Forbidden, match=services.RATE_LIMITS_STAFF_ONLY):
        services.api_key_set_rate_limits(
            key=key, actor=owner, per_minute=10**6, per_hour=None, acting_key=None
        )
    key.refresh_from_db()
    assert key.rate_limit_per_minute is None


@pytest.mark.parametrize("limit", [0, -5, "10", True])
def test_rate_limits_must_be_positive_whole_numbers(make_key, staff, limit):
    key, _ = make_key()
    with pytest.raises(InvalidInput, match=validation.RATE_LIMIT_INVALID):
        services.api_key_set_rate_limits(
            key=key, actor=staff, per_minute=limit, per_hour=None, acting_key=None
        )
