"""Public leak reports: anyone who finds a key ends it, and learns nothing else."""

from __future__ import annotations

import json
import logging

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apikeys import conf, keys, services
from apikeys.api.views.leaks import LEAK_REPORT_RECEIVED, TOO_MANY_LEAK_REPORTS
from apikeys.models import KeyStatus
from apikeys.services.leaked import REPORTERS
from core.models import AuditAction, AuditEvent
from organizations.models import Role
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import assert_json_error

pytestmark = pytest.mark.django_db

URL = "/api/leaked-keys/"
FOUND_AT = "https://forum.example.net/t/help-with-keyportal/123"


@pytest.fixture
def report(django_capture_on_commit_callbacks):
    """POST a leak report as a stranger; on-commit mail is sent."""

    def post(body, *, ip="203.0.113.7", **extra):
        if "content_type" not in extra:
            extra.setdefault("format", "json")
        with django_capture_on_commit_callbacks(execute=True):
            return APIClient().post(URL, body, REMOTE_ADDR=ip, **extra)

    return post


def reported_events(key):
    events = AuditEvent.objects.filter(api_key=key, action=AuditAction.KEY_REPORTED_LEAKED)
    return list(events.order_by("created_at", "id"))


# A genuine key is revoked, and its owners and creator told --------------------------------


def test_a_reported_key_is_revoked_and_audited_with_where_it_was_found(report, make_key, org):
    key, raw = make_key(name="Lab sync")

    response = report({"key": raw, "url": FOUND_AT, "source": "a forum post"})

    assert response.status_code == 202
    assert response.json() == {"detail": LEAK_REPORT_RECEIVED}
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED
    (event,) = reported_events(key)
    assert (event.actor, event.organization, event.ip) == (None, org, "203.0.113.7")
    assert event.details == {
        "reporter": "public",
        "source": "a forum post",
        "url": FOUND_AT,
        "revoked": True,
    }
    for stored in AuditEvent.objects.filter(api_key=key):
        assert raw not in json.dumps(stored.details)


def test_the_owners_and_the_keys_creator_are_emailed_what_happened(
    report, make_key, org, owner, admin, member, settings
):
    settings.SITE_URL = "https://portal.example.com"
    second_owner = UserFactory(email="second-owner@example.com")
    MembershipFactory(organization=org, user=second_owner, role=Role.OWNER)
    gone = UserFactory(email="gone-owner@example.com", is_active=False)
    MembershipFactory(organization=org, user=gone, role=Role.OWNER)
    key, raw = make_key(name="Lab sync", created_by=admin)

    report({"key": raw, "url": FOUND_AT, "source": "a forum post"})

    assert sorted(m.to[0] for m in mail.outbox) == [
        "admin@example.com",
        "owner@example.com",
        "second-owner@example.com",
    ]
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees the others' addresses
    message = mail.outbox[0]
    assert message.subject == f"Keyportal: API key Lab sync ({key.prefix}) leaked and revoked"
    html = message.alternatives[0][0]
    link = f"https://portal.example.com/orgs/{org.pk}/integrations/api-keys/{key.pk}/"
    key.refresh_from_db()
    when = key.revoked_at.strftime("%b %-d, %Y, %H:%M")
    for part in (message.body, html):
        for said in (
            "Lab sync",
            key.prefix,
            "Happy Paws Clinic",
            FOUND_AT,
            "a forum post",
            REPORTERS["public"],
            "revoked",
            when,
            link,
        ):
            assert said in part, said
        assert raw not in part
    assert f'href="{link}"' in html
    assert f'href="{FOUND_AT}"' not in html  # the reporter's link is shown, never linked


def test_without_site_url_the_email_gives_the_key_pages_path(report, make_key, org, settings):
    settings.SITE_URL = ""
    key, raw = make_key()

    report({"key": raw})

    assert f"\n/orgs/{org.pk}/integrations/api-keys/{key.pk}/\n" in mail.outbox[0].body
    assert "Found at: not given" in mail.outbox[0].body


def test_a_report_that_fails_midway_leaves_the_key_and_the_trail_as_they_were(
    make_key, monkeypatch
):
    from apikeys.services import leaked

    key, _ = make_key()

    def fail(*args, **kwargs):
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr(leaked, "revoke_and_audit", fail)
    with pytest.raises(RuntimeError):
        leaked.api_key_report_leaked(
            key=key, source="", url="", reporter="public", context=leaked.AuditContext()
        )

    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE and not reported_events(key)


# No oracle: the same answer whatever was sent ---------------------------------------------


def test_the_answer_is_the_same_whatever_the_key_was(report, make_key, owner):
    _, active = make_key(name="Active")
    revoked_key, revoked = make_key(name="Revoked")
    services.api_key_revoke(key=revoked_key, actor=owner, acting_key=None)
    never_issued = keys.generate(conf.brand(), "live")[0]

    answers = {
        (response.status_code, response.content)
        for response in (
            report({"key": active}),
            report({"key": active}),  # reported again: now revoked
            report({"key": revoked}),
            report({"key": never_issued}),
            report({"key": "ghp_not_even_ours"}),
        )
    }

    assert len(answers) == 1
    ((status, content),) = answers
    assert (status, json.loads(content)) == (202, {"detail": LEAK_REPORT_RECEIVED})


def test_a_second_report_of_a_key_mails_nobody_again(report, make_key):
    key, raw = make_key()

    report({"key": raw, "source": "first finder"})
    report({"key": raw, "source": "second finder"})

    assert len(mail.outbox) == 1
    assert [e.details["revoked"] for e in reported_events(key)] == [True, False]


def test_an_unknown_key_changes_nothing(report, make_key):
    key, _ = make_key()
    other = keys.generate(conf.brand(), key.mode)[0]

    report({"key": other})

    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE
    assert not AuditEvent.objects.exclude(action=AuditAction.KEY_CREATED).exists()
    assert not mail.outbox


# The key never comes back, nor reaches a log ----------------------------------------------


def test_an_invalid_report_never_echoes_the_key_and_changes_nothing(report, make_key):
    key, raw = make_key()

    responses = [
        report({"key": raw, "url": "not a url"}),
        report({"key": raw, "source": 12}),
        report({"key": raw, "found_in": "a gist"}),
        report({raw: "the key as a field's name"}),
        report({"key": raw}, QUERY_STRING=f"{raw}=1"),
    ]

    for response in responses:
        body = assert_json_error(response, 400)
        assert raw not in response.content.decode(), body
    assert keys.mask(raw) in responses[3].content.decode()
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE and not mail.outbox


def test_unknown_fields_are_refused_by_name(report):
    response = report({"key": "x", "where": "a gist"})

    body = assert_json_error(response, 400)
    assert body["where"] == ["Unknown field."]


def test_a_report_never_logs_the_key(report, make_key, caplog):
    _, raw = make_key()
    caplog.set_level(logging.DEBUG)

    report({"key": raw, "url": FOUND_AT})
    report({"key": raw, "url": "not a url"})

    assert raw not in caplog.text


def test_a_body_that_is_not_json_is_415(report, make_key):
    key, raw = make_key()

    response = report(f"key={raw}", content_type="application/x-www-form-urlencoded")

    assert_json_error(response, 415)
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_a_body_over_the_upload_limit_is_400(report, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    assert_json_error(report({"key": "x", "source": "y" * 2000}), 400)


# Rate limited per client address ----------------------------------------------------------


def test_reports_are_limited_per_address_with_retry_after(report, make_key, settings):
    settings.LEAK_REPORTS_PER_IP_PER_HOUR = 2
    key, raw = make_key()
    report({"key": "made-up"})
    report({"key": "made-up"})

    refused = report({"key": raw})
    elsewhere = report({"key": "made-up"}, ip="198.51.100.9")

    assert_json_error(refused, 429)
    assert refused.json() == {"detail": TOO_MANY_LEAK_REPORTS}
    assert 0 < int(refused["Retry-After"]) <= 3600
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE
    assert elsewhere.status_code == 202


def test_invalid_reports_count_against_the_limit(report, settings):
    settings.LEAK_REPORTS_PER_IP_PER_HOUR = 1
    report({"nonsense": True})

    assert report({"key": "x"}).status_code == 429


def test_a_cache_outage_lets_reports_through(report, make_key, monkeypatch):
    from apikeys import leaks
    from core.counters import CountersUnavailable

    def down(*args, **kwargs):
        raise CountersUnavailable("connection refused")

    monkeypatch.setattr(leaks, "count_hits", down)
    key, raw = make_key()

    assert report({"key": raw}).status_code == 202

    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED


# No credentials take part ----------------------------------------------------------------


def test_anyone_may_report_without_credentials_or_csrf(make_key, owner):
    key, raw = make_key()
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(owner)

    response = browser.post(
        URL.rstrip("/"), {"key": raw}, format="json", HTTP_AUTHORIZATION="Bearer kp_live_x"
    )

    assert response.status_code == 202
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED
