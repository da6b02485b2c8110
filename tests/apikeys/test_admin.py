"""The API-key admin: what staff see, and how their actions go through the lifecycle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import services, validation
from apikeys.admin.keys import USAGE_SUMMARY
from apikeys.models import APIKey, KeyStatus
from core.models import AuditAction, AuditEvent
from tests.factories import APIKeyFactory, MembershipFactory, OrganizationFactory

CHANGELIST = reverse("admin:apikeys_apikey_changelist")
ADD = reverse("admin:apikeys_apikey_add")


def change_url(key):
    return reverse("admin:apikeys_apikey_change", args=[key.pk])


def staff_with(staff, *codenames):
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return staff


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def act(client, action, *keys, **extra):
    data = {"action": action, "_selected_action": [str(key.pk) for key in keys], **extra}
    return client.post(CHANGELIST, data, follow=True)


def refreshed(key):
    return APIKey.objects.get(pk=key.pk)


# The list ------------------------------------------------------------------------------


def test_the_list_shows_each_keys_effective_status_as_a_coloured_badge(root_client, make_key):
    active, _ = make_key(name="Active one")
    expired = APIKeyFactory(
        organization=active.organization,
        created_by=active.created_by,
        name="Expired one",
        expires_at=timezone.now() - timedelta(days=1),
    )
    revoked, _ = make_key(name="Revoked one")
    services.api_key_revoke(key=revoked, actor=active.created_by, acting_key=None)

    page = root_client.get(CHANGELIST).content.decode()

    for key in (active, expired, revoked):
        assert key.name in page
        assert key.prefix in page
    assert 'class="badge badge-active"' in page
    assert 'class="badge badge-expired"' in page
    assert 'class="badge badge-revoked"' in page
    assert "Happy Paws Clinic" in page
    assert "owner@example.com" in page


def test_the_list_never_shows_a_digest(root_client, make_key):
    key, raw = make_key()
    page = (
        root_client.get(CHANGELIST).content.decode()
        + root_client.get(change_url(key)).content.decode()
    )
    assert key.hashed_key not in page
    assert raw not in page


def _keys_in_many_organizations(count):
    # A new organization and creator per key: any per-row lookup of either would show.
    for _ in range(count):
        membership = MembershipFactory(role="owner", organization=OrganizationFactory())
        APIKeyFactory(organization=membership.organization, created_by=membership.user)


def test_the_list_costs_the_same_number_of_queries_for_3_or_30_keys(
    root_client, django_assert_num_queries
):
    _keys_in_many_organizations(3)
    root_client.get(CHANGELIST)  # warm up the session and content types
    with CaptureQueriesContext(connection) as three:
        assert root_client.get(CHANGELIST).status_code == 200

    _keys_in_many_organizations(27)
    assert APIKey.objects.count() == 30
    with django_assert_num_queries(len(three.captured_queries)):
        page = root_client.get(CHANGELIST)
    assert page.content.decode().count('class="badge badge-active"') == 30


@pytest.mark.parametrize(
    "query",
    ["kp_live_", "Billing sync", "Other Clinic", "outsider@example.com"],
    ids=["prefix", "name", "organization name", "creator email"],
)
def test_search_finds_keys_by_prefix_name_organization_and_creator(
    root_client, make_key, other_org, outsider, query
):
    wanted, _ = make_key(organization=other_org, actor=outsider, name="Billing sync")
    unwanted, _ = make_key(name="Something else")
    if query == "kp_live_":
        query = wanted.prefix

    page = root_client.get(CHANGELIST, {"q": query}).content.decode()

    assert wanted.prefix in page
    assert unwanted.prefix not in page


def test_the_status_filter_offers_expired_and_tells_it_from_active(root_client, make_key):
    active, _ = make_key(name="Still fine")
    expired = APIKeyFactory(
        organization=active.organization,
        created_by=active.created_by,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    paused, _ = make_key(name="On hold")
    services.api_key_pause(key=paused, actor=active.created_by, acting_key=None)

    listed = {
        status: root_client.get(CHANGELIST, {"status": status}).content.decode()
        for status in ("active", "expired", "paused")
    }

    assert "?status=expired" in listed["active"]
    assert active.prefix in listed["active"]
    assert expired.prefix not in listed["active"]
    assert expired.prefix in listed["expired"]
    assert active.prefix not in listed["expired"]
    assert paused.prefix in listed["paused"]
    assert active.prefix not in listed["paused"]


def test_mode_and_organization_filters_narrow_the_list(root_client, make_key, other_org, outsider):
    live, _ = make_key(name="Live key")
    test, _ = make_key(name="Test key", mode="test")
    elsewhere, _ = make_key(organization=other_org, actor=outsider, name="Elsewhere")

    by_mode = root_client.get(CHANGELIST, {"mode": "test"}).content.decode()
    by_org = root_client.get(CHANGELIST, {"organization__id__exact": other_org.pk}).content.decode()

    assert test.prefix in by_mode
    assert live.prefix not in by_mode
    assert elsewhere.prefix in by_org
    assert live.prefix not in by_org


# Actions -------------------------------------------------------------------------------


def test_revoke_asks_first_then_revokes_through_the_service_and_is_audited(
    root_client, make_key, superuser
):
    key, _ = make_key()

    confirmation = act(root_client, "revoke_keys", key)
    assert "cannot be undone" in confirmation.content.decode()
    assert refreshed(key).status == KeyStatus.ACTIVE

    done = act(root_client, "revoke_keys", key, post="yes")

    assert refreshed(key).status == KeyStatus.REVOKED
    assert "Revoked 1 API key(s)." in messages_of(done)
    event = AuditEvent.objects.get(action=AuditAction.KEY_REVOKED)
    assert (event.actor, event.api_key_id, event.ip) == (superuser, key.pk, "127.0.0.1")
    assert event.request_id


def test_pause_and_resume_go_through_the_services(root_client, make_key):
    key, _ = make_key()

    act(root_client, "pause_keys", key)
    assert refreshed(key).status == KeyStatus.PAUSED

    act(root_client, "resume_keys", key)
    assert refreshed(key).status == KeyStatus.ACTIVE
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.KEY_PAUSED, AuditAction.KEY_RESUMED} <= actions


def test_a_refused_transition_is_an_error_message_per_key_and_the_others_still_happen(
    root_client, make_key
):
    revoked, _ = make_key(name="Gone")
    services.api_key_revoke(key=revoked, actor=revoked.created_by, acting_key=None)
    fine, _ = make_key(name="Fine")

    response = act(root_client, "pause_keys", revoked, fine)

    assert response.status_code == 200
    shown = messages_of(response)
    assert f"{revoked.prefix}: {services.ALREADY_REVOKED}" in shown
    assert "Paused 1 API key(s)." in shown
    assert refreshed(fine).status == KeyStatus.PAUSED
    assert refreshed(revoked).status == KeyStatus.REVOKED


def test_keys_can_never_be_deleted_in_the_admin(root_client, make_key):
    key, _ = make_key()

    page = root_client.get(CHANGELIST).content.decode()
    delete = root_client.post(
        reverse("admin:apikeys_apikey_delete", args=[key.pk]), {"post": "yes"}
    )
    bulk = act(root_client, "delete_selected", key, post="yes")

    assert "delete_selected" not in page
    assert delete.status_code == 403
    assert bulk.status_code == 200
    assert APIKey.objects.filter(pk=key.pk).exists()


# The change form -----------------------------------------------------------------------


def test_the_change_form_renames_through_the_service_and_ignores_every_other_field(
    root_client, make_key, other_org, superuser
):
    key, _ = make_key(name="Old name")

    response = root_client.post(
        change_url(key),
        {
            "name": "New name",
            "status": "revoked",
            "prefix": "kp_live_hijacked",
            "organization": other_org.pk,
            "created_by": superuser.pk,
            "hashed_key": "0" * 64,
        },
    )

    assert response.status_code == 302
    after = refreshed(key)
    assert after.name == "New name"
    assert (after.status, after.prefix, after.organization_id, after.created_by_id) == (
        KeyStatus.ACTIVE,
        key.prefix,
        key.organization_id,
        key.created_by_id,
    )
    assert after.hashed_key == key.hashed_key
    event = AuditEvent.objects.get(action=AuditAction.KEY_RENAMED)
    assert event.details == {"from": "Old name", "to": "New name"}


def test_a_bad_name_is_an_inline_error_and_changes_nothing(root_client, make_key):
    key, _ = make_key(name="Kept")

    response = root_client.post(change_url(key), {"name": "bad\x07name"})

    assert response.status_code == 200
    assert validation.NAME_INVISIBLE_CHARACTERS in response.content.decode()
    assert refreshed(key).name == "Kept"


# Staff with limited permissions --------------------------------------------------------


def test_staff_without_key_permissions_cannot_open_the_list(client, bare_staff):
    client.force_login(bare_staff)
    assert client.get(CHANGELIST).status_code == 403


def test_view_only_staff_see_keys_but_cannot_act_rename_or_add(client, bare_staff, make_key):
    client.force_login(staff_with(bare_staff, "view_apikey"))
    key, _ = make_key(name="Look only")

    page = client.get(CHANGELIST).content.decode()
    act(client, "revoke_keys", key, post="yes")
    act(client, "pause_keys", key)
    rename = client.post(change_url(key), {"name": "Renamed"})

    assert key.prefix in page
    assert "revoke_keys" not in page
    assert rename.status_code == 403
    assert client.get(ADD).status_code == 403
    after = refreshed(key)
    assert (after.status, after.name) == (KeyStatus.ACTIVE, "Look only")
    assert not AuditEvent.objects.exclude(action=AuditAction.KEY_CREATED).exists()


def test_staff_allowed_to_change_keys_pause_them_as_themselves(client, bare_staff, make_key):
    client.force_login(staff_with(bare_staff, "view_apikey", "change_apikey"))
    key, _ = make_key()

    act(client, "pause_keys", key)

    assert refreshed(key).status == KeyStatus.PAUSED
    assert AuditEvent.objects.get(action=AuditAction.KEY_PAUSED).actor == bare_staff


def test_staff_override_a_keys_rate_limits_through_the_audited_service(root_client, make_key):
    key, _ = make_key(name="Busy sync")

    response = root_client.post(
        change_url(key), {"name": "Busy sync", "rate_limit_per_minute": "5"}
    )

    assert response.status_code == 302
    after = refreshed(key)
    assert (after.rate_limit_per_minute, after.rate_limit_per_hour) == (5, None)
    event = AuditEvent.objects.get(action=AuditAction.KEY_RATE_LIMITS_CHANGED)
    assert event.details["to"] == {"per_minute": 5, "per_hour": None}
    assert not AuditEvent.objects.filter(action=AuditAction.KEY_RENAMED).exists()


def test_the_change_page_shows_where_the_key_was_last_used_and_its_usage(root_client, make_key):
    key, raw = make_key()
    headers = {"Authorization": f"Bearer {raw}", "User-Agent": "clinic-sync/3"}
    for _ in range(2):
        APIClient().get("/api/auth/me/", headers=headers)
    html = root_client.get(change_url(key)).content.decode()
    assert "127.0.0.1" in html and "clinic-sync/3" in html
    assert USAGE_SUMMARY.format(2, 0, 0) in html
    assert reverse("api-key-detail", args=[key.organization_id, key.pk]) in html
