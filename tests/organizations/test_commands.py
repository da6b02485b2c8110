"""Operator commands: create_organization and seed_demo."""

from __future__ import annotations

import re
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditAction, AuditEvent
from organizations.management.commands import seed_demo
from organizations.models import Membership, Organization, Role, User
from organizations.services import ORG_NAME_REQUIRED


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# create_organization -------------------------------------------------------------------


def test_create_organization_prints_the_new_organizations_id(owner):
    out = run("create_organization", "Northside Vets", "--owner", "OWNER@example.com")

    organization = Organization.objects.get(pk=uuid.UUID(out.strip()))
    assert organization.name == "Northside Vets"
    assert Membership.objects.get(organization=organization).user == owner
    assert Membership.objects.get(organization=organization).role == Role.OWNER
    event = AuditEvent.objects.get(action=AuditAction.ORGANIZATION_CREATED)
    assert (event.organization, event.actor) == (organization, owner)


def test_create_organization_refuses_an_unknown_owner_and_creates_nothing(db):
    with pytest.raises(CommandError, match=re.escape("No user with email 'ghost@example.com'.")):
        run("create_organization", "Ghost Clinic", "--owner", "ghost@example.com")

    assert not Organization.objects.exists()


def test_create_organization_refuses_a_blank_name(owner):
    before = Organization.objects.count()

    with pytest.raises(CommandError, match=re.escape(ORG_NAME_REQUIRED)):
        run("create_organization", "   ", "--owner", owner.email)

    assert Organization.objects.count() == before


def test_create_organization_requires_an_owner(db):
    with pytest.raises(CommandError, match="--owner"):
        run("create_organization", "Nobody's Clinic")


# seed_demo -----------------------------------------------------------------------------


@pytest.fixture
def development(settings):
    """DEBUG=1, as `make run` sets it: where seed_demo runs without --allow-production."""
    settings.DEBUG = True


def test_seed_demo_prints_how_to_sign_in_and_the_organization_id(db, development):
    out = run("seed_demo")

    organization = Organization.objects.get(name=seed_demo.DEMO_ORG)
    assert f"organization id: {organization.id}" in out
    assert f"{seed_demo.DEMO_OWNER} / {seed_demo.DEMO_PASSWORD}" in out
    assert f"{seed_demo.DEMO_MEMBER} / {seed_demo.DEMO_PASSWORD}" in out
    assert "/accounts/login/" in out
    roles = dict(
        Membership.objects.filter(organization=organization).values_list("user__email", "role")
    )
    assert roles == {seed_demo.DEMO_OWNER: Role.OWNER, seed_demo.DEMO_MEMBER: Role.MEMBER}
    owner = User.objects.get(email=seed_demo.DEMO_OWNER)
    assert owner.check_password(seed_demo.DEMO_PASSWORD)


def test_seed_demo_adds_the_member_through_the_service_so_it_is_audited(db, development):
    run("seed_demo")

    event = AuditEvent.objects.get(action=AuditAction.MEMBER_ADDED)
    assert event.details == {"user": seed_demo.DEMO_MEMBER, "role": Role.MEMBER}
    assert event.actor.email == seed_demo.DEMO_OWNER


def test_seed_demo_is_idempotent(db, development):
    first = run("seed_demo")
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    events = AuditEvent.objects.count()

    second = run("seed_demo")

    assert second == first
    assert (User.objects.count(), Organization.objects.count(), Membership.objects.count()) == (
        counts
    )
    assert AuditEvent.objects.count() == events


def test_seed_demo_keeps_a_demo_password_someone_changed(db, development):
    run("seed_demo")
    owner = User.objects.get(email=seed_demo.DEMO_OWNER)
    owner.set_password("a brand new passphrase")
    owner.save()

    run("seed_demo")

    owner.refresh_from_db()
    assert owner.check_password("a brand new passphrase")


def test_seed_demo_refuses_to_run_in_production(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError) as error:
        call_command("seed_demo", stdout=StringIO())
    assert str(error.value) == seed_demo.REFUSED_IN_PRODUCTION
    assert not User.objects.exists()


def test_seed_demo_runs_in_production_only_when_explicitly_allowed(db, settings):
    settings.DEBUG = False
    out = run("seed_demo", "--allow-production")
    assert f"{seed_demo.DEMO_OWNER} / {seed_demo.DEMO_PASSWORD}" in out
    assert Organization.objects.filter(name=seed_demo.DEMO_ORG).exists()
