"""Notices by email: security notices (who did what, when, from where, sent only once
committed) and expiry reminders (each sent once, even by two runs at once)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.services import account_event_record, notice_preferences_set
from apikeys import notices, services
from apikeys.management.commands.send_key_notices import SENT
from apikeys.models import KeyNotice, KeyStatus, NoticeKind
from apikeys.services.leaked import LEAKED_SUBJECT
from apikeys.services.reminders import ReminderRun, expiry_reminders_send
from core.audit import AuditContext
from core.models import AuditAction
from organizations.models import Role
from organizations.services import member_change_role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

SITE = "https://portal.example.com"
FROM = AuditContext(ip="198.51.100.23", request_id="req-1")


class BrokenBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block, then its on-commit callbacks as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def to(messages):
    return sorted(message.to[0] for message in messages)


def parts(message):
    return message.body, message.alternatives[0][0]


def keys_page(org):
    return f"{SITE}/orgs/{org.pk}/integrations/api-keys/"


def key_page(key):
    return f"{SITE}/orgs/{key.organization_id}/integrations/api-keys/{key.pk}/"


def test_a_created_key_tells_the_owners_and_its_creator_who_when_and_from_where(
    committed, make_key, org, owner, admin, member
):
    with committed():
        key, raw = make_key(name="Lab sync", created_by=admin, context=FROM)

    assert to(mail.outbox) == ["admin@example.com", "owner@example.com"]
    assert all(len(message.to) == 1 for message in mail.outbox)
    message = mail.outbox[0]
    assert message.subject == (
        f"Keyportal: API key Lab sync ({key.prefix}) created in Happy Paws Clinic"
    )
    when = key.created_at.strftime("%b %-d, %Y, %H:%M")
    for part in parts(message):
        for said in ("Lab sync", key.prefix, "owner@example.com", "198.51.100.23", when):
            assert said in part, said
        assert key_page(key) in part  # the key's own page
        assert raw not in part
    assert f'href="{key_page(key)}"' in parts(message)[1]
    assert f">{notices.KEY_LINK_LABEL}<".replace("'", "&#x27;") in parts(message)[1]


def test_a_rotated_key_names_its_replacement(committed, make_key, org, owner):
    key, _ = make_key(name="Lab sync")

    with committed():
        new, _ = services.api_key_rotate(key=key, actor=owner, acting_key=None, context=FROM)

    (message,) = mail.outbox
    assert message.subject == (
        f"Keyportal: API key Lab sync ({key.prefix}) rotated in Happy Paws Clinic"
    )
    assert f"- New key: {new.prefix}" in message.body
    for part in parts(message):
        assert new.prefix in part and "198.51.100.23" in part and "owner@example.com" in part


def test_a_revoked_key_reaches_only_active_owners_with_a_verified_address(
    committed, make_key, org, owner
):
    MembershipFactory(
        organization=org,
        role=Role.OWNER,
        user=UserFactory(email="gone@example.com", is_active=False),
    )
    MembershipFactory(
        organization=org,
        role=Role.OWNER,
        user=UserFactory(email="unproven@example.com", verified_email=False),
    )
    second = MembershipFactory(
        organization=org, role=Role.OWNER, user=UserFactory(email="second@example.com")
    ).user
    key, _ = make_key(name="Lab sync")

    with committed():
        services.api_key_revoke(key=key, actor=second, acting_key=None, context=FROM)

    assert to(mail.outbox) == ["owner@example.com", "second@example.com"]
    assert mail.outbox[0].subject == (
        f"Keyportal: API key Lab sync ({key.prefix}) revoked in Happy Paws Clinic"
    )
    assert "By: second@example.com" in mail.outbox[0].body


def test_a_role_change_tells_the_owners_and_the_member_even_a_demoted_owner(committed, org, owner):
    demoted = MembershipFactory(
        organization=org, role=Role.OWNER, user=UserFactory(email="demoted@example.com")
    ).user

    with committed():
        member_change_role(
            organization=org,
            actor=owner,
            acting_key=None,
            user=demoted,
            role="member",
            context=FROM,
        )

    assert to(mail.outbox) == ["demoted@example.com", "owner@example.com"]
    message = mail.outbox[0]
    assert message.subject == "Keyportal: a member's role changed in Happy Paws Clinic"
    for part in parts(message):
        assert "demoted@example.com" in part and "owner → member" in part
        assert "198.51.100.23" in part and keys_page(org) in part


def test_two_factor_turned_off_tells_the_owners_of_each_of_the_persons_organizations(
    committed, org, owner, member
):
    elsewhere = OrganizationFactory(name="Second Clinic")
    MembershipFactory(organization=elsewhere, user=member)
    MembershipFactory(
        organization=elsewhere, role=Role.OWNER, user=UserFactory(email="boss@example.com")
    )

    with committed():
        account_event_record(user=member, action=AuditAction.USER_TWO_FACTOR_DISABLED, context=FROM)

    assert to(mail.outbox) == ["boss@example.com", "owner@example.com"]
    by_address = {message.to[0]: message for message in mail.outbox}
    message = by_address["owner@example.com"]
    assert message.subject == "Keyportal: member@example.com turned two-factor authentication off"
    for part in parts(message):
        assert "Happy Paws Clinic" in part and "198.51.100.23" in part
        assert keys_page(org) in part
    assert keys_page(elsewhere) in by_address["boss@example.com"].body


def test_a_leaked_key_gets_its_own_email_and_no_second_notice(committed, make_key, owner):
    key, _ = make_key(name="Lab sync")
    mail.outbox.clear()

    with committed():
        services.api_key_report_leaked(
            key=key, source="a forum", url="", reporter="public", context=FROM
        )

    assert [m.subject for m in mail.outbox] == [
        LEAKED_SUBJECT.format(name="Lab sync", prefix=key.prefix)
    ]


def test_other_events_send_nothing(committed, make_key, owner):
    key, _ = make_key()
    mail.outbox.clear()

    with committed():
        services.api_key_pause(key=key, actor=owner, acting_key=None)
        services.api_key_rename(key=key, actor=owner, acting_key=None, name="Renamed")

    assert mail.outbox == []


def test_a_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks, make_key, owner):
    key, _ = make_key()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.api_key_revoke(key=key, actor=owner, acting_key=None)
        raise RuntimeError("something later in the request failed")

    assert callbacks == []
    assert mail.outbox == []
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_a_broken_mail_server_costs_a_warning_never_the_revocation(
    settings, caplog, make_key, org, owner
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    key, _ = make_key(name="Lab sync")  # its creation notice fails too, quietly

    with caplog.at_level(logging.WARNING, logger=notices.__name__):
        response = signed_in(owner).post(f"/orgs/{org.pk}/integrations/api-keys/{key.pk}/revoke/")

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED
    assert any(
        "api_key.revoked" in line and "mail server is down" in line for line in caplog.messages
    )


# Expiry reminders -----------------------------------------------------------------------


def expiring(make_key, *, within, **kwargs):
    key, _ = make_key(expires_at=timezone.now() + within, **kwargs)
    mail.outbox.clear()  # the creation notice
    return key


def test_a_key_expiring_within_7_days_reminds_its_creator_and_the_owners_once(
    make_key, org, owner, admin
):
    key = expiring(make_key, within=timedelta(days=5), name="Lab sync", created_by=admin)

    assert expiry_reminders_send() == ReminderRun(sent=1)
    assert expiry_reminders_send() == ReminderRun(sent=0)  # a second run sends nothing

    assert to(mail.outbox) == ["admin@example.com", "owner@example.com"]
    message = mail.outbox[0]
    assert message.subject == f"Keyportal: API key Lab sync ({key.prefix}) expires within 7 days"
    for part in parts(message):
        assert "Lab sync" in part and key.prefix in part and "Happy Paws Clinic" in part
        assert key.expires_at.strftime("%b %-d, %Y, %H:%M") in part
        assert "4\xa0days" in part or "4 days" in part
        assert key_page(key) in part and notices.REMINDERS_OFF_NOTE in part


def test_the_1_day_reminder_follows_the_7_day_one_and_each_goes_once(make_key, owner):
    key = expiring(make_key, within=timedelta(days=6))
    expiry_reminders_send()
    later = timezone.now() + timedelta(days=5, hours=12)

    assert expiry_reminders_send(now=later) == ReminderRun(sent=1)
    assert expiry_reminders_send(now=later) == ReminderRun(sent=0)

    assert [m.subject for m in mail.outbox] == [
        f"Keyportal: API key Production Integration ({key.prefix}) expires within 7 days",
        f"Keyportal: API key Production Integration ({key.prefix}) expires within a day",
    ]


def test_a_key_already_within_a_day_gets_only_the_1_day_reminder(make_key, owner):
    key = expiring(make_key, within=timedelta(hours=20))

    expiry_reminders_send()
    expiry_reminders_send(now=timezone.now() + timedelta(hours=1))

    assert [m.subject.rsplit(" expires ", 1)[1] for m in mail.outbox] == ["within a day"]
    assert set(KeyNotice.objects.filter(api_key=key).values_list("kind", "sent")) == {
        (NoticeKind.EXPIRY_1_DAY, True),
        (NoticeKind.EXPIRY_7_DAYS, False),
    }


def test_revoked_rotated_distant_and_expired_keys_get_no_reminder(make_key, owner):
    revoked = expiring(make_key, within=timedelta(days=2))
    services.api_key_revoke(key=revoked, actor=owner, acting_key=None)
    rotated = expiring(make_key, within=timedelta(days=2))
    services.api_key_rotate(key=rotated, actor=owner, acting_key=None, grace_period_seconds=3600)
    expiring(make_key, within=timedelta(days=30))
    mail.outbox.clear()

    run = expiry_reminders_send()

    # Only the rotation's replacement (same expiry, a live key) is reminded.
    assert run == ReminderRun(sent=1)
    assert KeyNotice.objects.get(kind=NoticeKind.EXPIRY_7_DAYS).api_key.rotated_from == rotated
    assert expiry_reminders_send(now=timezone.now() + timedelta(days=3)) == ReminderRun(sent=0)


def test_someone_who_turned_reminders_off_gets_none_but_still_gets_security_notices(
    committed, make_key, org, owner, admin
):
    notice_preferences_set(user=owner, expiry_reminders=False)
    key = expiring(make_key, within=timedelta(days=3), created_by=admin)

    expiry_reminders_send()
    assert to(mail.outbox) == ["admin@example.com"]

    mail.outbox.clear()
    with committed():
        services.api_key_revoke(key=key, actor=admin, acting_key=None)
    assert to(mail.outbox) == ["admin@example.com", "owner@example.com"]


def test_a_reminder_the_mail_server_refused_is_sent_by_the_next_run(
    settings, caplog, make_key, owner
):
    key = expiring(make_key, within=timedelta(days=3))
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"

    with caplog.at_level(logging.WARNING):
        assert expiry_reminders_send() == ReminderRun(sent=0, failed=1)
    assert f"expiry reminder for key {key.pk} was not mailed" in caplog.text
    assert not KeyNotice.objects.filter(api_key=key).exists()  # the claim was rolled back

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert expiry_reminders_send() == ReminderRun(sent=1)
    assert to(mail.outbox) == ["owner@example.com"]


def test_the_command_sends_what_is_due_and_says_how_many(make_key, owner):
    expiring(make_key, within=timedelta(days=3))
    out = StringIO()

    call_command("send_key_notices", stdout=out)
    call_command("send_key_notices", stdout=out)

    sent = [line for line in out.getvalue().splitlines() if line.startswith("Sent")]
    assert sent == [SENT.format(sent=1), SENT.format(sent=0)]
    assert to(mail.outbox) == ["owner@example.com"]


def test_the_database_refuses_a_second_record_of_one_reminder(make_key, owner):
    key = expiring(make_key, within=timedelta(days=3))
    expiry_reminders_send()

    with pytest.raises(IntegrityError), transaction.atomic():
        KeyNotice.objects.create(
            api_key=key, kind=NoticeKind.EXPIRY_7_DAYS, expires_at=key.expires_at
        )


class SlowBackend(locmem.EmailBackend):
    """A mail server that takes its time: the first run still holds its claim while the
    other tries to make the same one."""

    def send_messages(self, messages):
        time.sleep(0.3)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(settings, make_key, org, owner, admin):
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    keys = [expiring(make_key, within=timedelta(days=3), created_by=admin) for _ in range(3)]
    start = threading.Barrier(2)
    runs = []

    def run():
        try:
            start.wait(timeout=10)
            runs.append(expiry_reminders_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(r.failed for r in runs) == [0, 0]
    assert sum(r.sent for r in runs) == len(keys)
    assert len(mail.outbox) == 2 * len(keys)  # the creator and the owner, once per key
    assert KeyNotice.objects.filter(sent=True).count() == len(keys)
