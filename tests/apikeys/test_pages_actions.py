"""Per-key actions on the API Keys tab: who may use them, what they do, how refusals look."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apikeys import services, validation
from apikeys.models import APIKey, KeyStatus
from apikeys.views import key_actions
from apikeys.views.keys import OLD_KEY_GRACE, OLD_KEY_REVOKED
from core.models import AuditEvent
from tests.factories import APIKeyFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

SIMPLE = ["pause", "resume", "set-default", "remove-default"]


def url(name: str, key: APIKey) -> str:
    return reverse(name, args=[key.organization_id, key.pk])


def shown_after(client: Client, response) -> list[str]:
    """The messages the user reads on the page the response redirects to."""
    landing = client.get(response["Location"])
    return [str(m) for m in landing.context["messages"]]


def snapshot(key: APIKey) -> tuple:
    key.refresh_from_db()
    return (key.name, key.status, key.is_default, key.expires_at, key.rotated_at)


def test_owners_and_admins_see_the_actions_a_keys_state_allows(owner, org, make_key):
    active, _ = make_key(name="Active one")
    paused, _ = make_key(name="Paused one")
    services.api_key_pause(key=paused, actor=owner, acting_key=None)
    revoked, _ = make_key(name="Revoked one")
    services.api_key_revoke(key=revoked, actor=owner, acting_key=None)
    html = signed_in(owner).get(reverse("api-keys", args=[org.pk])).content.decode()
    for name in ["api-key-set-default", "api-key-pause", "api-key-rotate", "api-key-revoke"]:
        assert url(name, active) in html
    assert url("api-key-resume", paused) in html
    assert url("api-key-pause", paused) not in html
    assert url("api-key-rename", revoked) in html
    for name in ["api-key-revoke", "api-key-rotate", "api-key-set-default"]:
        assert url(name, revoked) not in html


def test_members_see_no_action_buttons(member, org, make_key):
    key, _ = make_key()
    html = signed_in(member).get(reverse("api-keys", args=[org.pk])).content.decode()
    assert key.prefix in html
    assert f'href="/orgs/{org.pk}/integrations/api-keys/{key.pk}/"' in html  # its page, read-only
    for action in ["rename", "rotate", "revoke", "pause", "resume", "set-default"]:
        assert f"/api-keys/{key.pk}/{action}/" not in html
    assert "Actions</th>" not in html


# One-click actions -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "admin", "staff"])
def test_managers_pause_resume_and_set_and_remove_the_default(request, org, make_key, who):
    key, _ = make_key(name="Kiosk")
    client = signed_in(request.getfixturevalue(who))
    response = client.post(url("api-key-set-default", key))
    assert response["Location"] == reverse("api-keys", args=[org.pk])
    assert shown_after(client, response) == [key_actions.SET_DEFAULT_DONE.format(name="Kiosk")]
    key.refresh_from_db()
    assert key.is_default
    response = client.post(url("api-key-remove-default", key))
    assert shown_after(client, response) == [key_actions.REMOVE_DEFAULT_DONE.format(name="Kiosk")]
    response = client.post(url("api-key-pause", key))
    assert shown_after(client, response) == [key_actions.PAUSE_DONE.format(name="Kiosk")]
    key.refresh_from_db()
    assert key.status == KeyStatus.PAUSED
    response = client.post(url("api-key-resume", key))
    assert shown_after(client, response) == [key_actions.RESUME_DONE.format(name="Kiosk")]
    key.refresh_from_db()
    assert (key.status, key.is_default) == (KeyStatus.ACTIVE, False)
    assert AuditEvent.objects.filter(api_key=key).count() == 5  # created + four actions


@pytest.mark.parametrize("action", SIMPLE)
def test_a_member_forging_an_action_gets_403_and_nothing_changes(member, make_key, action):
    key, _ = make_key()
    before = snapshot(key)
    response = signed_in(member).post(url(f"api-key-{action}", key))
    assert response.status_code == 403
    assert snapshot(key) == before


@pytest.mark.parametrize("action", [*SIMPLE, "rename", "rotate", "revoke"])
def test_another_organizations_user_forging_an_action_gets_404(outsider, make_key, action):
    key, _ = make_key()
    before = snapshot(key)
    response = signed_in(outsider).post(url(f"api-key-{action}", key), {"name": "Mine now"})
    assert response.status_code == 404
    assert snapshot(key) == before
    assert APIKey.objects.count() == 1


@pytest.mark.parametrize("action", [*SIMPLE, "rename", "rotate", "revoke"])
def test_a_key_of_another_organization_is_a_404_in_this_one(owner, org, outsider, action):
    theirs = APIKeyFactory(organization=outsider.organizations.get(), created_by=outsider)
    before = snapshot(theirs)
    target = reverse(f"api-key-{action}", args=[org.pk, theirs.pk])
    response = signed_in(owner).post(target, {"name": "Mine now", "grace_period": "0"})
    assert response.status_code == 404
    assert snapshot(theirs) == before


@pytest.mark.parametrize("action", SIMPLE)
def test_one_click_actions_refuse_get(owner, make_key, action):
    key, _ = make_key()
    assert signed_in(owner).get(url(f"api-key-{action}", key)).status_code == 405


def test_a_refused_transition_becomes_an_error_message_not_a_500(owner, make_key):
    key, _ = make_key()
    client = signed_in(owner)
    response = client.post(url("api-key-resume", key))
    assert response.status_code == 302
    assert shown_after(client, response) == [services.RESUME_NEEDS_PAUSED]
    services.api_key_revoke(key=key, actor=owner, acting_key=None)
    for action, message in [
        ("pause", services.ALREADY_REVOKED),
        ("set-default", services.ALREADY_REVOKED),
        ("remove-default", services.NOT_DEFAULT),
    ]:
        assert shown_after(client, client.post(url(f"api-key-{action}", key))) == [message]


def test_actions_return_to_the_page_they_were_used_from(owner, org, make_key):
    key, _ = make_key()
    back = reverse("api-keys", args=[org.pk]) + "?q=Prod&page=1"
    response = signed_in(owner).post(url("api-key-pause", key), {"next": back})
    assert response["Location"] == back


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/admin/", "/orgs/x/../../admin/"]
)
def test_actions_never_redirect_outside_the_organizations_pages(owner, org, make_key, target):
    key, _ = make_key()
    response = signed_in(owner).post(url("api-key-pause", key), {"next": target})
    assert response["Location"] == reverse("api-keys", args=[org.pk])


# Rename ----------------------------------------------------------------------------------


def test_rename_shows_a_form_with_the_current_name_and_saves_the_new_one(owner, make_key):
    key, _ = make_key(name="Old name")
    client = signed_in(owner)
    form = client.get(url("api-key-rename", key)).content.decode()
    assert 'value="Old name"' in form and 'name="csrfmiddlewaretoken"' in form
    response = client.post(url("api-key-rename", key), {"name": "  New name "})
    assert shown_after(client, response) == [key_actions.RENAME_DONE.format(name="New name")]
    key.refresh_from_db()
    assert key.name == "New name"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", validation.NAME_REQUIRED),
        ("a\x07b", validation.NAME_INVISIBLE_CHARACTERS),
        ("x" * 101, None),
    ],
)
def test_rename_shows_inline_errors_and_keeps_the_name(owner, make_key, name, message):
    key, _ = make_key(name="Kept")
    response = signed_in(owner).post(url("api-key-rename", key), {"name": name})
    assert response.status_code == 400
    assert (message or validation.NAME_TOO_LONG) in response.content.decode()
    key.refresh_from_db()
    assert key.name == "Kept"


def test_members_cannot_open_the_rename_rotate_or_revoke_pages(member, make_key):
    key, _ = make_key()
    client = signed_in(member)
    for name in ["api-key-rename", "api-key-rotate", "api-key-revoke"]:
        assert client.get(url(name, key)).status_code == 403
    before = snapshot(key)
    assert client.post(url("api-key-rename", key), {"name": "x"}).status_code == 403
    assert client.post(url("api-key-rotate", key), {"grace_period": "0"}).status_code == 403
    assert client.post(url("api-key-revoke", key)).status_code == 403
    assert snapshot(key) == before and APIKey.objects.count() == 1


# Rotate ----------------------------------------------------------------------------------


def test_rotate_offers_grace_periods_up_to_a_day(owner, make_key):
    key, _ = make_key()
    html = signed_in(owner).get(url("api-key-rotate", key)).content.decode()
    for value, label in [("0", "None"), ("3600", "1 hour"), ("86400", "24 hours")]:
        assert f'value="{value}"' in html and label in html


def test_rotating_without_grace_shows_the_new_key_once_and_revokes_the_old(owner, org, make_key):
    old, old_raw = make_key(name="Billing")
    client = signed_in(owner)
    response = client.post(url("api-key-rotate", old), {"grace_period": "0"})
    assert response["Location"] == reverse("api-key-created", args=[org.pk])
    page = client.get(response["Location"])
    new = APIKey.objects.get(rotated_from=old)
    raw = page.context["raw"]
    assert raw.startswith(new.prefix) and raw != old_raw
    html = page.content.decode()
    assert OLD_KEY_REVOKED.format(prefix=old.prefix) in html
    assert "no-store" in page["Cache-Control"]
    old.refresh_from_db()
    assert old.status == KeyStatus.REVOKED
    assert raw not in client.get(response["Location"]).content.decode()


def test_rotating_with_grace_keeps_the_old_key_working_for_a_while(owner, make_key):
    old, _ = make_key(name="Billing")
    client = signed_in(owner)
    response = client.post(url("api-key-rotate", old), {"grace_period": "3600"})
    html = client.get(response["Location"]).content.decode()
    old.refresh_from_db()
    assert old.status == KeyStatus.ACTIVE
    assert dt.timedelta(minutes=59) < old.expires_at - timezone.now() <= dt.timedelta(hours=1)
    assert OLD_KEY_GRACE.format(prefix=old.prefix, until=old.expires_at) in html


@pytest.mark.parametrize("grace", ["7200", "-1", "soon", ""])
def test_rotate_refuses_other_grace_periods_inline(owner, make_key, grace):
    key, _ = make_key()
    response = signed_in(owner).post(url("api-key-rotate", key), {"grace_period": grace})
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert APIKey.objects.count() == 1


def test_rotating_a_rotated_key_again_is_an_inline_error(owner, make_key):
    key, _ = make_key()
    client = signed_in(owner)
    client.post(url("api-key-rotate", key), {"grace_period": "3600"})
    response = client.post(url("api-key-rotate", key), {"grace_period": "0"})
    assert response.status_code == 400
    assert services.ALREADY_ROTATED in response.content.decode()
    assert APIKey.objects.count() == 2


# Revoke ----------------------------------------------------------------------------------


def test_revoke_asks_for_confirmation_naming_the_key(owner, make_key):
    key, _ = make_key(name="Reception tablet")
    response = signed_in(owner).get(url("api-key-revoke", key))
    html = response.content.decode()
    assert "Revoke “Reception tablet”?" in html and key.prefix in html
    assert "cannot be undone" in html
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_confirming_revokes_the_key(owner, org, make_key):
    key, _ = make_key(name="Reception tablet")
    client = signed_in(owner)
    response = client.post(url("api-key-revoke", key))
    assert response["Location"] == reverse("api-keys", args=[org.pk])
    assert shown_after(client, response) == [
        key_actions.REVOKE_DONE.format(name="Reception tablet")
    ]
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and key.revoked_by == owner


def test_revoking_twice_is_an_error_message(owner, make_key):
    key, _ = make_key()
    client = signed_in(owner)
    client.post(url("api-key-revoke", key), follow=True)
    assert shown_after(client, client.post(url("api-key-revoke", key))) == [
        services.ALREADY_REVOKED
    ]
