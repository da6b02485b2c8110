"""One key's page: who may open it, why the key is in its state, scopes in effect, where it
came from, its history and its actions."""

from __future__ import annotations

import datetime as dt
import html as html_module
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from rest_framework.test import APIClient

from apikeys import services
from apikeys.models import APIKey, KeyStatus
from apikeys.services.leaked import REPORTER_PUBLIC, api_key_report_leaked
from apikeys.views import key_actions, key_page
from core.audit import SYSTEM
from organizations import services as org_services
from organizations.models import Role
from tests.factories import APIKeyFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def page_url(key: APIKey) -> str:
    return reverse("api-key-detail", args=[key.organization_id, key.pk])


def action_url(name: str, key: APIKey) -> str:
    return reverse(name, args=[key.organization_id, key.pk])


def page_text(client, key: APIKey) -> str:
    """The page as a reader sees it: text without tags, whitespace folded."""
    response = client.get(page_url(key))
    assert response.status_code == 200
    return " ".join(html_module.unescape(strip_tags(response.content.decode())).split())


def when(value: dt.datetime) -> str:
    return strip_tags(key_page.time_tag(value))


# Who may open it -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_owners_and_admins_see_the_key_its_actions_and_its_events(request, make_key, who):
    key, _ = make_key(name="Front desk", scopes=["records:read"])
    response = signed_in(request.getfixturevalue(who)).get(page_url(key))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Front desk" in html and key.prefix in html
    assert action_url("api-key-pause", key) in html
    assert action_url("api-key-revoke", key) in html
    assert 'data-action="api_key.created"' in html
    assert key_page.EVENTS_NOT_VISIBLE not in " ".join(html_module.unescape(html).split())


def test_members_see_the_key_read_only_without_its_events(member, make_key):
    key, _ = make_key(name="Front desk")
    response = signed_in(member).get(page_url(key))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Front desk" in html and key.prefix in html
    for name in ["api-key-pause", "api-key-rename", "api-key-rotate", "api-key-revoke"]:
        assert action_url(name, key) not in html
    assert "api_key.created" not in html
    assert "owner@example.com" in html  # the creator is a fact of the key, not an event
    assert key_page.EVENTS_NOT_VISIBLE in page_text(signed_in(member), key)
    assert reverse("audit-log", args=[key.organization_id]) not in html


def test_another_organizations_key_and_unknown_ids_are_404(owner, outsider, other_org, make_key):
    key, _ = make_key()
    assert signed_in(outsider).get(page_url(key)).status_code == 404
    # The outsider's own organization in the URL does not reach the key either.
    theirs = reverse("api-key-detail", args=[other_org.pk, key.pk])
    assert signed_in(outsider).get(theirs).status_code == 404
    client = signed_in(owner)
    assert client.get(theirs).status_code == 404
    unknown = reverse("api-key-detail", args=[key.organization_id, uuid.uuid4()])
    assert client.get(unknown).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, make_key):
    key, _ = make_key()
    response = client.get(page_url(key))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_list_links_each_key_name_to_its_page(member, org, make_key):
    key, _ = make_key(name="Kiosk")
    html = signed_in(member).get(reverse("api-keys", args=[org.pk])).content.decode()
    assert f'<a href="{page_url(key)}">Kiosk</a>' in html


# Why the key is in its state -------------------------------------------------------------


def test_a_paused_key_says_when_and_by_whom(owner, admin, make_key):
    key, _ = make_key()
    services.api_key_pause(key=key, actor=admin, acting_key=None)
    key.refresh_from_db()
    text = page_text(signed_in(owner), key)
    assert key_page.PAUSED_BY.format(when=when(key.paused_at), who="admin@example.com") in text


def test_a_key_paused_again_names_who_paused_it_this_time(owner, admin, make_key):
    key, _ = make_key()
    services.api_key_pause(key=key, actor=admin, acting_key=None)
    services.api_key_resume(key=key, actor=admin, acting_key=None)
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    key.refresh_from_db()
    text = page_text(signed_in(admin), key)
    assert key_page.PAUSED_BY.format(when=when(key.paused_at), who="owner@example.com") in text


def test_a_revoked_key_says_when_and_by_whom_even_after_that_person_is_deleted(
    owner, admin, make_key
):
    key, _ = make_key()
    services.api_key_revoke(key=key, actor=admin, acting_key=None)
    key.refresh_from_db()
    expected = key_page.REVOKED_BY.format(when=when(key.revoked_at), who="admin@example.com")
    assert expected in page_text(signed_in(owner), key)
    admin.delete()  # `revoked_by` is cleared; the audit event keeps the email
    key.refresh_from_db()
    assert key.revoked_by is None
    assert expected in page_text(signed_in(owner), key)


def test_a_key_revoked_after_a_leak_report_says_so(owner, make_key):
    key, _ = make_key()
    api_key_report_leaked(
        key=key, source="a pasted log", url="", reporter=REPORTER_PUBLIC, context=SYSTEM
    )
    key.refresh_from_db()
    text = page_text(signed_in(owner), key)
    assert key_page.REVOKED_LEAKED.format(when=when(key.revoked_at)) in text


def test_an_expired_key_says_when_it_expired_and_offers_only_what_it_allows(owner, org):
    expired_at = timezone.now() - dt.timedelta(days=2)
    key = APIKeyFactory(organization=org, created_by=owner, expires_at=expired_at)
    client = signed_in(owner)
    text = page_text(client, key)
    assert key_page.EXPIRED_AT.format(when=when(expired_at)) in text
    html = client.get(page_url(key)).content.decode()
    assert action_url("api-key-revoke", key) in html
    assert action_url("api-key-pause", key) not in html
    assert action_url("api-key-rotate", key) not in html


# Expiry ----------------------------------------------------------------------------------


def test_a_key_expiring_within_seven_days_is_flagged(owner, make_key):
    soon = timezone.now() + dt.timedelta(days=3)
    key, _ = make_key(expires_at=soon)
    text = page_text(signed_in(owner), key)
    assert key_page.EXPIRES_SOON.format(when=when(soon), days=7) in text


def test_a_key_expiring_later_or_never_is_not_flagged(owner, make_key):
    later, _ = make_key(expires_at=timezone.now() + dt.timedelta(days=8))
    never, _ = make_key()
    client = signed_in(owner)
    for key in (later, never):
        assert "data-expiry-warning" not in client.get(page_url(key)).content.decode()


# Scopes ----------------------------------------------------------------------------------


def test_a_demoted_creators_key_shows_granted_scopes_no_longer_in_effect(owner, admin, org):
    key, _ = services.api_key_create(
        organization=org,
        actor=admin,
        acting_key=None,
        name="Admin's key",
        scopes=["api_keys:manage", "records:read"],
    )
    client = signed_in(owner)
    html = client.get(page_url(key)).content.decode()
    assert 'data-scope="api_keys:manage" data-in-effect="yes"' in html
    org_services.member_change_role(
        organization=org, actor=owner, acting_key=None, user=admin, role=Role.MEMBER
    )
    html = client.get(page_url(key)).content.decode()
    assert 'data-scope="api_keys:manage" data-in-effect="no"' in html
    assert 'data-scope="records:read" data-in-effect="yes"' in html
    assert key_page.SCOPE_NOT_IN_EFFECT.format(role="member") in page_text(client, key)
    key.refresh_from_db()
    assert key.scopes == ["api_keys:manage", "records:read"]  # granted scopes are kept


def test_a_key_whose_creator_left_has_no_scope_in_effect(owner, admin, org):
    key, _ = services.api_key_create(
        organization=org, actor=admin, acting_key=None, name="Left", scopes=["records:read"]
    )
    org_services.member_remove(organization=org, actor=owner, acting_key=None, user=admin)
    html = signed_in(owner).get(page_url(key)).content.decode()
    assert key_page.CREATOR_GONE in html
    assert 'data-in-effect="yes"' not in html


# Rotation lineage ------------------------------------------------------------------------


def test_a_rotation_with_grace_links_both_keys_and_shows_when_the_old_one_stops(owner, make_key):
    old, _ = make_key(name="Rotating")
    new, _ = services.api_key_rotate(
        key=old, actor=owner, acting_key=None, grace_period_seconds=3600
    )
    old.refresh_from_db()
    client = signed_in(owner)
    old_html = client.get(page_url(old)).content.decode()
    assert f'href="{page_url(new)}"' in old_html
    assert 'data-lineage="replaced-by"' in old_html
    assert 'data-lineage="grace-end"' in old_html
    old_text = page_text(client, old)
    assert key_page.GRACE_UNTIL.format(when=when(old.expires_at)) in old_text
    assert "<dt>Keeps working until</dt>" in old_html
    new_html = client.get(page_url(new)).content.decode()
    assert f'href="{page_url(old)}"' in new_html
    assert 'data-lineage="replaced"' in new_html
    assert 'data-lineage="replaced-by"' not in new_html


def test_a_rotated_key_past_its_grace_says_it_stopped_working(owner, make_key):
    old, _ = make_key()
    services.api_key_rotate(key=old, actor=owner, acting_key=None, grace_period_seconds=60)
    ended = timezone.now() - dt.timedelta(minutes=5)
    APIKey.objects.filter(pk=old.pk).update(expires_at=ended)
    text = page_text(signed_in(owner), old)
    assert key_page.EXPIRED_AFTER_GRACE.format(when=when(ended)) in text


def test_a_key_without_rotation_shows_no_lineage(owner, make_key):
    key, _ = make_key()
    assert "data-lineage" not in signed_in(owner).get(page_url(key)).content.decode()


# History ---------------------------------------------------------------------------------


def test_the_history_lists_the_keys_events_newest_first(owner, make_key):
    key, _ = make_key()
    other, _ = make_key(name="Other key")
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    services.api_key_pause(key=other, actor=owner, acting_key=None)
    services.api_key_resume(key=key, actor=owner, acting_key=None)
    html = signed_in(owner).get(page_url(key)).content.decode()
    order = [
        html.index(f'data-action="{a}"')
        for a in ("api_key.resumed", "api_key.paused", "api_key.created")
    ]
    assert order == sorted(order)
    assert html.count('data-action="api_key.paused"') == 1  # not the other key's pause


def test_the_history_is_capped_with_a_link_to_the_filtered_audit_log(owner, org, make_key):
    key, _ = make_key()
    for _ in range(key_page.KEY_EVENTS_SHOWN):
        services.api_key_set_default(key=key, actor=owner, acting_key=None)
        services.api_key_remove_default(key=key, actor=owner, acting_key=None)
    html = signed_in(owner).get(page_url(key)).content.decode()
    assert html.count("<tr data-action=") == key_page.KEY_EVENTS_SHOWN
    assert 'data-action="api_key.created"' not in html  # the oldest is left to the log
    audit_link = f"{reverse('audit-log', args=[org.pk])}?key={key.pk}"
    assert f'href="{audit_link}"' in html
    log = signed_in(owner).get(audit_link)
    assert log.status_code == 200
    assert 'data-action="api_key.created"' in log.content.decode()


def use(raw: str, times: int = 1, **headers) -> list[int]:
    """Make requests with the key, as an integration would."""
    client = APIClient()
    return [
        client.get(
            "/api/auth/me/", headers={"Authorization": f"Bearer {raw}", **headers}
        ).status_code
        for _ in range(times)
    ]


def chart_totals(html: str) -> dict[str, int]:
    return {
        name: int(total)
        for name, total in re.findall(r'data-chart="(\w+)" data-total="(\d+)"', html)
    }


def test_the_usage_charts_show_requests_made_with_the_key_at_once(owner, make_key):
    key, raw = make_key()
    assert use(raw, 3) == [200] * 3
    html = signed_in(owner).get(page_url(key)).content.decode()
    assert chart_totals(html) == {"hours": 3, "days": 3}
    # The table alternative holds the same numbers.
    assert re.search(r"<td[^>]*>\s*3\s*</td>", html)
    assert "data-tried" not in html


def test_a_revoked_key_still_tried_says_so(owner, make_key):
    key, raw = make_key()
    use(raw)
    services.api_key_revoke(key=key, actor=owner, acting_key=None)
    assert use(raw, 37) == [401] * 37
    text = page_text(signed_in(owner), key)
    assert key_page.TRIED_SINCE["revoked"].format(times="37 times") in text


def test_a_paused_key_tried_once_says_once(owner, make_key):
    key, raw = make_key()
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    use(raw)
    assert key_page.TRIED_SINCE["paused"].format(times="once") in page_text(signed_in(owner), key)


def test_where_the_key_was_last_used_from_is_shown(owner, make_key):
    key, raw = make_key()
    use(raw, **{"User-Agent": "vetsync/4.2"})
    text = page_text(signed_in(owner), key)
    assert "from 127.0.0.1 · vetsync/4.2" in text


def test_members_see_the_usage_too(member, make_key):
    key, raw = make_key()
    use(raw, 2)
    assert chart_totals(signed_in(member).get(page_url(key)).content.decode())["hours"] == 2


def test_the_keys_list_draws_each_keys_last_14_days_in_constant_queries(
    owner, make_key, django_assert_num_queries
):
    client = signed_in(owner)
    list_url = reverse("api-keys", args=[owner.memberships.get().organization_id])
    _, raw = make_key()
    use(raw, 2)
    client.get(list_url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        html = client.get(list_url).content.decode()
    assert re.findall(r'data-sparkline[^>]*data-total="(\d+)"', html) == ["2"]
    for n in range(4):
        make_key(name=f"Another {n}")
    with django_assert_num_queries(len(one)):
        html = client.get(list_url).content.decode()
    assert sorted(re.findall(r'data-sparkline[^>]*data-total="(\d+)"', html)) == [
        "0",
        "0",
        "0",
        "0",
        "2",
    ]


# Actions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "done"),
    [
        ("api-key-pause", key_actions.PAUSE_DONE),
        ("api-key-set-default", key_actions.SET_DEFAULT_DONE),
    ],
)
def test_one_click_actions_come_back_to_the_key_page(owner, make_key, action, done):
    key, _ = make_key(name="Kiosk")
    client = signed_in(owner)
    html = client.get(page_url(key)).content.decode()
    assert f'<input type="hidden" name="next" value="{page_url(key)}">' in html
    response = client.post(action_url(action, key), {"next": page_url(key)})
    assert response.status_code == 302
    assert response["Location"] == page_url(key)
    landing = client.get(response["Location"])
    assert [str(m) for m in landing.context["messages"]] == [done.format(name="Kiosk")]


def test_the_page_offers_resume_for_a_paused_key_and_it_comes_back_here(owner, make_key):
    key, _ = make_key()
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    client = signed_in(owner)
    html = client.get(page_url(key)).content.decode()
    assert action_url("api-key-resume", key) in html
    assert action_url("api-key-pause", key) not in html
    response = client.post(action_url("api-key-resume", key), {"next": page_url(key)})
    assert response["Location"] == page_url(key)
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/orgs/", "/accounts/logout/"],
)
def test_actions_ignore_a_next_that_leaves_the_organizations_keys(owner, org, make_key, target):
    key, _ = make_key()
    response = signed_in(owner).post(action_url("api-key-pause", key), {"next": target})
    assert response["Location"] == reverse("api-keys", args=[org.pk])


def test_the_page_is_read_only_to_get(owner, make_key):
    key, _ = make_key()
    response = signed_in(owner).post(page_url(key))
    assert response.status_code == 405
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_renaming_from_the_key_page_comes_back_to_it(owner, make_key):
    key, _ = make_key(name="Kiosk")
    client = signed_in(owner)
    rename = reverse("api-key-rename", args=[key.organization_id, key.pk])
    assert f"{rename}?next=" in client.get(page_url(key)).content.decode()

    form = client.get(rename, {"next": page_url(key)}).content.decode()
    response = client.post(rename, {"name": "Front desk", "next": page_url(key)})

    assert f'<input type="hidden" name="next" value="{page_url(key)}">' in form
    assert response["Location"] == page_url(key)
    key.refresh_from_db()
    assert key.name == "Front desk"


def test_revoking_from_the_key_page_comes_back_to_it_and_a_foreign_next_does_not(
    owner, org, make_key
):
    kept, _ = make_key()
    revoked, _ = make_key()
    client = signed_in(owner)

    back = client.post(
        reverse("api-key-revoke", args=[org.pk, revoked.pk]), {"next": page_url(revoked)}
    )
    away = client.post(
        reverse("api-key-revoke", args=[org.pk, kept.pk]), {"next": "https://evil.example/"}
    )

    assert back["Location"] == page_url(revoked)
    assert away["Location"] == reverse("api-keys", args=[org.pk])
