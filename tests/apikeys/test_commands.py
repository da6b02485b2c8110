"""Operator commands: create_api_key, revoke_api_key and list_api_keys."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from apikeys import keys, services, validation
from apikeys.authentication import APIKeyAuthentication
from apikeys.management.commands.create_api_key import EXPIRES_IN_DAYS_INVALID
from apikeys.management.commands.list_api_keys import NO_KEYS
from apikeys.models import APIKey, KeyStatus
from core.models import AuditAction, AuditEvent
from organizations.permissions import NOT_A_MANAGER
from tests.factories import APIKeyFactory


def run(*args):
    """Run a command; return its standard output and standard error."""
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def create(org, user, *extra):
    return run("create_api_key", "--organization", str(org.pk), "--user", user.email, *extra)


# create_api_key ------------------------------------------------------------------------


def test_create_prints_the_working_key_alone_on_the_last_line(org, owner):
    out, _ = create(
        org,
        owner,
        "--name",
        "CI deploys",
        "--mode",
        "test",
        "--scopes",
        "records:read, devices:read",
        "--expires-in-days",
        "30",
    )

    *info, raw = out.strip().splitlines()
    key = APIKey.objects.get()
    assert info and key.prefix in info[0]
    assert raw.startswith(key.prefix)
    assert APIKeyAuthentication().authenticate_key(raw)[1].pk == key.pk
    assert (key.name, key.mode) == ("CI deploys", "test")
    assert key.scopes == ["devices:read", "records:read"]
    assert timedelta(days=29) < key.expires_at - timezone.now() <= timedelta(days=30)
    event = AuditEvent.objects.get(action=AuditAction.KEY_CREATED)
    assert event.actor == owner
    assert event.request_id.startswith("manage.py:create_api_key:")


def test_create_uses_the_default_scopes_and_live_mode_when_not_told(org, admin, settings):
    create(org, admin, "--name", "Defaults")

    key = APIKey.objects.get()
    assert (key.mode, key.expires_at) == ("live", None)
    assert key.scopes == sorted(settings.APIKEYS_DEFAULT_SCOPES)


def test_staff_may_create_keys_in_any_organization(org, staff):
    out, _ = create(org, staff, "--name", "Support tooling")
    assert APIKey.objects.get().created_by == staff
    assert out.strip().splitlines()[-1].startswith("kp_live_")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organization", "not-a-uuid"], "is not an organization id"),
        (["--organization", "00000000-0000-0000-0000-000000000000"], "No organization has the id"),
        (["--user", "nobody@example.com"], "No user has the email address"),
        (["--user", "member@example.com"], NOT_A_MANAGER),
        (["--scopes", "records:read,root:all"], validation.SCOPE_UNKNOWN.format(scope="root:all")),
        (["--expires-in-days", "0"], EXPIRES_IN_DAYS_INVALID),
        (["--expires-in-days", "-3"], EXPIRES_IN_DAYS_INVALID),
        (["--expires-in-days", "99999999"], EXPIRES_IN_DAYS_INVALID),
        (["--expires-in-days", "soon"], "invalid int value"),
        (["--mode", "prod"], "invalid choice"),
        (["--name", "   "], validation.NAME_REQUIRED),
    ],
)
def test_create_refuses_bad_input_with_a_clear_error_and_creates_nothing(
    org, owner, member, args, message
):
    options = {"--organization": str(org.pk), "--user": owner.email, "--name": "Key"}
    options.update(dict(zip(args[::2], args[1::2], strict=True)))

    with pytest.raises(CommandError, match=re.escape(message)):
        run("create_api_key", *[part for pair in options.items() for part in pair])

    assert not APIKey.objects.exists()
    assert not AuditEvent.objects.exists()


def test_create_needs_organization_user_and_name():
    with pytest.raises(CommandError, match="required"):
        run("create_api_key", "--name", "Lonely")


# revoke_api_key ------------------------------------------------------------------------


@pytest.mark.parametrize("identify", ["prefix", "id", "plaintext"])
def test_revoke_finds_the_key_by_prefix_id_or_plaintext_and_audits_the_operator(
    make_key, admin, identify
):
    key, raw = make_key()
    value = {"prefix": key.prefix, "id": str(key.pk), "plaintext": raw}[identify]

    out, _ = run("revoke_api_key", value, "--user", admin.email)

    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.REVOKED
    assert key.prefix in out
    assert raw not in out
    event = AuditEvent.objects.get(action=AuditAction.KEY_REVOKED)
    assert event.actor == admin
    assert event.request_id.startswith("manage.py:revoke_api_key:")


def test_revoke_refuses_unknown_keys_without_echoing_a_pasted_secret(db, owner):
    unknown, _ = keys.generate("kp", "live")

    with pytest.raises(CommandError, match="No API key has the id or prefix") as refused:
        run("revoke_api_key", unknown, "--user", owner.email)

    assert unknown not in str(refused.value)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("member@example.com", NOT_A_MANAGER),
        ("outsider@example.com", NOT_A_MANAGER),
        ("ghost@example.com", "No user has the email address"),
    ],
)
def test_revoke_refuses_users_who_cannot_manage_the_key(make_key, member, outsider, user, message):
    key, _ = make_key()

    with pytest.raises(CommandError, match=message):
        run("revoke_api_key", key.prefix, "--user", user)

    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE
    assert not AuditEvent.objects.filter(action=AuditAction.KEY_REVOKED).exists()


def test_revoke_requires_the_acting_user(make_key):
    key, _ = make_key()
    with pytest.raises(CommandError, match="--user"):
        run("revoke_api_key", key.prefix)


def test_revoking_twice_says_the_key_is_already_revoked(make_key, owner):
    key, _ = make_key()
    run("revoke_api_key", key.prefix, "--user", owner.email)

    with pytest.raises(CommandError, match=services.ALREADY_REVOKED):
        run("revoke_api_key", key.prefix, "--user", owner.email)

    assert AuditEvent.objects.filter(action=AuditAction.KEY_REVOKED).count() == 1


# list_api_keys -------------------------------------------------------------------------


def test_list_shows_a_table_of_keys_with_effective_status_and_never_a_secret(
    make_key, owner, other_org, outsider
):
    default, default_raw = make_key(name="Main")
    services.api_key_set_default(key=default, actor=owner, acting_key=None)
    expired = APIKeyFactory(
        organization=default.organization,
        created_by=owner,
        name="Old",
        expires_at=timezone.now() - timedelta(days=1),
        last_used_at=timezone.now() - timedelta(days=2),
    )
    elsewhere, elsewhere_raw = make_key(organization=other_org, actor=outsider, name="Theirs")

    out, _ = run("list_api_keys")

    header, *rows = out.strip().splitlines()
    assert header.split()[:3] == ["ID", "PREFIX", "NAME"]
    assert "LAST USED" in header
    by_prefix = {row.split()[1]: row for row in rows}
    assert set(by_prefix) == {default.prefix, expired.prefix, elsewhere.prefix}
    assert str(default.pk) in by_prefix[default.prefix]
    assert "active" in by_prefix[default.prefix] and "yes" in by_prefix[default.prefix]
    assert "expired" in by_prefix[expired.prefix] and "UTC" in by_prefix[expired.prefix]
    assert "never" in by_prefix[elsewhere.prefix]
    for secret in (default_raw, elsewhere_raw, default.hashed_key, expired.hashed_key):
        assert secret not in out


def test_list_narrows_to_one_organization(make_key, other_org, outsider):
    mine, _ = make_key()
    theirs, _ = make_key(organization=other_org, actor=outsider)

    out, _ = run("list_api_keys", "--organization", str(other_org.pk))

    assert theirs.prefix in out
    assert mine.prefix not in out


def test_list_says_so_when_there_are_no_keys(org):
    out, _ = run("list_api_keys", "--organization", str(org.pk))
    assert out.strip() == NO_KEYS


@pytest.mark.parametrize(
    ("value", "message"),
    [("12345", "is not an organization id"), (str(uuid.uuid4()), "No organization has the id")],
)
def test_list_refuses_a_malformed_or_unknown_organization(db, value, message):
    with pytest.raises(CommandError, match=message):
        run("list_api_keys", "--organization", value)
