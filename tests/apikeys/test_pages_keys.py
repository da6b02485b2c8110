"""The API Keys tab: the table, search, pagination, the create form and the show-once page."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, strip_tags

from apikeys import conf, forms, services, validation
from apikeys.models import APIKey, KeyStatus
from apikeys.show_once import NO_LONGER_SHOWN, SHOWN_ONCE
from core.models import AuditEvent
from tests.factories import APIKeyFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def valid_form(**overrides) -> dict:
    data = {"name": "PMS sync", "mode": "live", "scopes": ["records:read"], "expiry": "never"}
    data.update(overrides)
    return data


# The table -------------------------------------------------------------------------------


def test_the_table_shows_each_keys_facts(owner, org, make_key):
    key, raw = make_key(name="Front desk", mode="test", scopes=["devices:read"])
    services.api_key_set_default(key=key, actor=owner, acting_key=None)
    html = signed_in(owner).get(reverse("api-keys", args=[org.pk])).content.decode()
    for text in [
        "Front desk",
        key.prefix,
        '<span class="badge badge-test">Test</span>',
        '<span class="badge badge-active">Active</span>',
        '<span class="badge badge-default">Default</span>',
        "devices:read",
        "Never",
    ]:
        assert text in html
    assert raw not in html


def test_paused_revoked_and_expired_keys_carry_their_status_badge(owner, org):
    APIKeyFactory(organization=org, created_by=owner, name="P", status=KeyStatus.PAUSED)
    APIKeyFactory(organization=org, created_by=owner, name="R", status=KeyStatus.REVOKED)
    APIKeyFactory(
        organization=org,
        created_by=owner,
        name="E",
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    html = signed_in(owner).get(reverse("api-keys", args=[org.pk])).content.decode()
    assert '<span class="badge badge-paused">Paused</span>' in html
    assert '<span class="badge badge-revoked">Revoked</span>' in html
    assert '<span class="badge badge-expired">Expired</span>' in html


def test_the_table_lists_only_this_organizations_keys(owner, org, other_org, outsider):
    APIKeyFactory(organization=org, created_by=owner, name="Ours")
    theirs = APIKeyFactory(organization=other_org, created_by=outsider, name="Theirs")
    html = signed_in(owner).get(reverse("api-keys", args=[org.pk])).content.decode()
    assert "Ours" in html
    assert theirs.prefix not in html


def test_search_matches_name_or_prefix(owner, org):
    sync = APIKeyFactory(organization=org, created_by=owner, name="PMS sync")
    kiosk = APIKeyFactory(organization=org, created_by=owner, name="Kiosk")
    client = signed_in(owner)
    by_name = client.get(reverse("api-keys", args=[org.pk]), {"q": "pms"}).content.decode()
    assert sync.prefix in by_name and kiosk.prefix not in by_name
    by_prefix = client.get(reverse("api-keys", args=[org.pk]), {"q": kiosk.prefix}).content.decode()
    assert kiosk.prefix in by_prefix and sync.prefix not in by_prefix


def test_a_search_without_matches_says_so(owner, org):
    APIKeyFactory(organization=org, created_by=owner, name="PMS sync")
    html = signed_in(owner).get(reverse("api-keys", args=[org.pk]), {"q": "nothing"})
    assert "No keys match “nothing”." in html.content.decode()


def test_more_than_50_keys_are_paginated_and_pages_keep_the_search(owner, org):
    for n in range(51):
        APIKeyFactory(organization=org, created_by=owner, name=f"Device {n:02}")
    client = signed_in(owner)
    url = reverse("api-keys", args=[org.pk])
    first = client.get(url, {"q": "Device"}).content.decode()
    assert first.count("<tr data-prefix=") == 50
    assert "Page 1 of 2" in first
    assert 'href="?q=Device&amp;page=2"' in first
    second = client.get(url, {"q": "Device", "page": 2}).content.decode()
    assert second.count("<tr data-prefix=") == 1


@pytest.mark.parametrize("page", ["999", "abc", "-1"])
def test_a_bad_page_number_still_shows_a_page(owner, org, page):
    APIKeyFactory(organization=org, created_by=owner)
    response = signed_in(owner).get(reverse("api-keys", args=[org.pk]), {"page": page})
    assert response.status_code == 200


def test_the_empty_state_explains_keys_and_offers_to_create_one(owner, org):
    html = signed_in(owner).get(reverse("api-keys", args=[org.pk])).content.decode()
    assert "No API keys yet" in html
    assert "An API key lets one of your integrations" in html
    assert f'href="{reverse("api-key-create", args=[org.pk])}"' in html


def test_members_see_the_empty_state_without_a_create_button(member, org):
    html = signed_in(member).get(reverse("api-keys", args=[org.pk])).content.decode()
    assert "No API keys yet" in html
    assert reverse("api-key-create", args=[org.pk]) not in html
    assert "Ask an owner or admin" in html


# Creating --------------------------------------------------------------------------------


def test_the_create_form_offers_each_scope_with_its_description(owner, org, settings):
    html = signed_in(owner).get(reverse("api-key-create", args=[org.pk])).content.decode()
    for scope, entry in settings.APIKEYS_SCOPES.items():
        assert f'value="{scope}"' in html
        assert escape(entry["description"]) in html
    # The scopes only owners' and admins' keys keep say so in plain words.
    assert html.count(escape(conf.ADMIN_SCOPE_NOTE)) == sum(
        entry["role"] != "member" for entry in settings.APIKEYS_SCOPES.values()
    )
    assert 'name="csrfmiddlewaretoken"' in html
    assert "On a specific date" in html


@pytest.mark.parametrize("who", ["owner", "admin", "staff"])
def test_owners_admins_and_staff_create_keys(request, org, who):
    user = request.getfixturevalue(who)
    response = signed_in(user).post(reverse("api-key-create", args=[org.pk]), valid_form())
    assert response.status_code == 302
    key = APIKey.objects.get(organization=org)
    assert (key.name, key.mode, key.scopes, key.created_by) == (
        "PMS sync",
        "live",
        ["records:read"],
        user,
    )
    event = AuditEvent.objects.get(action="api_key.created")
    assert event.request_id and event.ip == "127.0.0.1"


def test_members_cannot_open_or_post_the_create_form(member, org):
    client = signed_in(member)
    assert client.get(reverse("api-key-create", args=[org.pk])).status_code == 403
    response = client.post(reverse("api-key-create", args=[org.pk]), valid_form())
    assert response.status_code == 403
    assert not APIKey.objects.exists()


def test_outsiders_cannot_create_keys_in_another_organization(outsider, org):
    response = signed_in(outsider).post(reverse("api-key-create", args=[org.pk]), valid_form())
    assert response.status_code == 404
    assert not APIKey.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(owner, org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(reverse("api-key-create", args=[org.pk]), valid_form())
    assert response.status_code == 403
    assert not APIKey.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, validation.NAME_REQUIRED),
        ({"name": "x" * 101}, validation.NAME_TOO_LONG),
        ({"name": "tab\there"}, validation.NAME_INVISIBLE_CHARACTERS),
        ({"scopes": ["records:read", "root"]}, "Select a valid choice."),
        ({"mode": "prod"}, "Select a valid choice."),
        ({"expiry": "7"}, "Select a valid choice."),
        ({"expiry": "date"}, forms.EXPIRY_DATE_REQUIRED),
        ({"expiry": "date", "expires_on": "2020-01-01"}, forms.EXPIRY_DATE_NOT_FUTURE),
        ({"expiry": "date", "expires_on": "not a date"}, "Enter a valid date."),
        ({"expiry": "date", "expires_on": "9999-12-31"}, forms.EXPIRY_DATE_TOO_FAR),
    ],
)
def test_invalid_input_shows_inline_errors_and_creates_nothing(owner, org, overrides, message):
    response = signed_in(owner).post(
        reverse("api-key-create", args=[org.pk]), valid_form(**overrides)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="errorlist"' in html or 'class="form-errors"' in html
    assert not APIKey.objects.exists()


def test_the_form_keeps_what_was_typed_after_an_error(owner, org):
    response = signed_in(owner).post(
        reverse("api-key-create", args=[org.pk]),
        valid_form(name="", scopes=["devices:read"], mode="test"),
    )
    html = response.content.decode()
    assert 'value="devices:read" id="scope-' in html
    assert html.count(" checked") == 2  # the test-mode radio and devices:read


def test_expiry_presets_and_dates_set_the_expiry(owner, org):
    client = signed_in(owner)
    client.post(reverse("api-key-create", args=[org.pk]), valid_form(name="a", expiry="90"))
    day = timezone.now().date() + dt.timedelta(days=10)
    client.post(
        reverse("api-key-create", args=[org.pk]),
        valid_form(name="b", expiry="date", expires_on=day.isoformat()),
    )
    client.post(reverse("api-key-create", args=[org.pk]), valid_form(name="c"))
    preset, on_date, never = (APIKey.objects.get(name=n) for n in "abc")
    assert dt.timedelta(days=89) < preset.expires_at - timezone.now() <= dt.timedelta(days=90)
    assert on_date.expires_at == dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    assert never.expires_at is None


def test_no_scope_ticked_makes_a_key_without_scopes(owner, org):
    signed_in(owner).post(reverse("api-key-create", args=[org.pk]), valid_form(scopes=[]))
    assert APIKey.objects.get().scopes == []


# Show once -------------------------------------------------------------------------------


def create_and_follow(client, org, **overrides):
    """POST the form, then GET the show-once page; return (redirect, page, raw)."""
    redirect = client.post(reverse("api-key-create", args=[org.pk]), valid_form(**overrides))
    page = client.get(redirect["Location"])
    raw = page.context["raw"]
    return redirect, page, raw


def test_after_creating_the_key_is_shown_once_with_copy_buttons_and_curl(owner, org):
    client = signed_in(owner)
    redirect, page, raw = create_and_follow(client, org)
    assert redirect["Location"] == reverse("api-key-created", args=[org.pk])
    html = page.content.decode()
    assert f'<code id="api-key-value" class="secret">{raw}</code>' in html
    assert f'<code id="organization-id-value">{org.pk}</code>' in html
    assert 'data-copy-target="api-key-value"' in html
    assert 'data-copy-target="organization-id-value"' in html
    curl = f"curl -H &quot;Authorization: Bearer {raw}&quot; http://testserver/api/auth/me/"
    assert curl in html
    assert SHOWN_ONCE in html
    assert raw.startswith("kp_live_") and APIKey.objects.get().prefix == raw[:16]


def test_the_show_once_page_is_never_cached(owner, org):
    _, page, _ = create_and_follow(signed_in(owner), org)
    assert "no-store" in page["Cache-Control"]
    assert "private" in page["Cache-Control"]


def test_reloading_the_show_once_page_no_longer_shows_the_key(owner, org):
    client = signed_in(owner)
    _, _, raw = create_and_follow(client, org)
    again = client.get(reverse("api-key-created", args=[org.pk]))
    assert again.status_code == 200
    html = again.content.decode()
    assert raw not in html
    assert "This key can no longer be shown" in html
    assert escape(NO_LONGER_SHOWN) in html
    assert "rotate" in NO_LONGER_SHOWN
    assert "no-store" in again["Cache-Control"]


def test_the_plaintext_appears_nowhere_after_its_first_page(owner, org, caplog):
    client = signed_in(owner)
    with caplog.at_level(logging.DEBUG):
        redirect, _, raw = create_and_follow(client, org)
        later_pages = [
            client.get(reverse("api-keys", args=[org.pk])),
            client.get(reverse("audit-log", args=[org.pk])),
            client.get(reverse("members", args=[org.pk])),
            client.get(reverse("api-key-created", args=[org.pk])),
        ]
    assert raw not in redirect["Location"]
    for response in later_pages:
        assert raw not in response.content.decode()
    assert raw not in caplog.text
    stored = Session.objects.get(session_key=client.session.session_key).get_decoded()
    assert raw not in str(stored)
    assert raw not in str(list(AuditEvent.objects.values()))
    assert raw not in str(list(APIKey.objects.values()))


def test_another_user_cannot_read_someone_elses_new_key(owner, admin, org):
    signed_in(owner).post(reverse("api-key-create", args=[org.pk]), valid_form())
    html = signed_in(admin).get(reverse("api-key-created", args=[org.pk])).content.decode()
    assert "This key can no longer be shown" in html


def test_opening_the_show_once_page_of_another_organization_discards_the_key(owner, org, other_org):
    other_org.memberships.create(user=owner, role="owner")
    client = signed_in(owner)
    client.post(reverse("api-key-create", args=[org.pk]), valid_form())
    elsewhere = client.get(reverse("api-key-created", args=[other_org.pk])).content.decode()
    assert "This key can no longer be shown" in elsewhere
    back = client.get(reverse("api-key-created", args=[org.pk])).content.decode()
    assert "This key can no longer be shown" in back


def test_a_whole_key_pasted_into_the_search_never_reaches_a_url(owner, org, make_key):
    key, raw = make_key(name="Kiosk")
    client = signed_in(owner)

    response = client.post(reverse("api-keys", args=[org.pk]), {"q": raw})

    assert response.status_code == 302
    assert raw not in response["Location"] and key.prefix in response["Location"]
    listing = client.get(response["Location"]).content.decode()
    assert "Kiosk" in listing and raw not in listing


def test_the_search_box_posts_with_csrf(owner, org, make_key):
    make_key()
    html = signed_in(owner).get(reverse("api-keys", args=[org.pk])).content.decode()
    search = html[html.index('role="search"') - 60 : html.index('id="key-search"')]
    assert 'method="post"' in search and "csrfmiddlewaretoken" in search


def test_the_list_shows_times_as_well_as_dates(client, owner, org, make_key):
    key, _ = make_key()
    client.force_login(owner)

    html = client.get(reverse("api-keys", args=[org.pk])).content.decode()

    text = " ".join(strip_tags(html).split())
    assert key.created_at.strftime("%b %-d, %Y %H:%M") in text


def test_revoked_keys_can_be_hidden_and_the_choice_survives_a_search(client, owner, org, make_key):
    kept, _ = make_key(name="Billing sync")
    gone, _ = make_key(name="Billing old")
    services.api_key_revoke(key=gone, actor=owner, acting_key=None)
    client.force_login(owner)
    url = reverse("api-keys", args=[org.pk])

    shown = client.get(url).content.decode()
    hidden = client.get(url, {"revoked": "hide"}).content.decode()
    searched = client.post(url, {"q": "Billing", "revoked": "hide"})

    assert gone.prefix in shown and kept.prefix in shown
    assert gone.prefix not in hidden and kept.prefix in hidden
    assert searched["Location"] == f"{url}?q=Billing&revoked=hide"
    assert gone.prefix not in client.get(searched["Location"]).content.decode()


def test_keys_idle_for_thirty_days_are_flagged(client, owner, org, make_key):
    idle, _ = make_key(name="Old integration")
    fresh, _ = make_key(name="Busy integration")
    revoked, _ = make_key(name="Retired")
    long_ago = timezone.now() - dt.timedelta(days=31)
    APIKey.objects.filter(pk__in=[idle.pk, revoked.pk]).update(created_at=long_ago)
    APIKey.objects.filter(pk=fresh.pk).update(created_at=long_ago, last_used_at=timezone.now())
    services.api_key_revoke(key=revoked, actor=owner, acting_key=None)
    client.force_login(owner)

    html = client.get(reverse("api-keys", args=[org.pk])).content.decode()

    def row(key):
        start = html.index(f'data-prefix="{key.prefix}"')
        return html[start : html.index("</tr>", start)]

    assert "Unused 30+ days" in row(idle)
    assert "Unused 30+ days" not in row(fresh)
    assert "Unused 30+ days" not in row(revoked)  # nothing left to do about a revoked key
