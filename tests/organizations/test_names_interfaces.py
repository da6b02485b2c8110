"""Organization names that lie are refused by the service, the admin and the command."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse
from django.utils.html import escape

from core.errors import InvalidInput
from core.models import AuditAction, AuditEvent
from organizations import services
from organizations.models import Organization
from organizations.names import NAME_INVISIBLE_CHARACTERS

pytestmark = pytest.mark.django_db

LYING_NAMES = {
    "right-to-left override": "Happy Paws \u202elive",
    "zero-width space": "Happy\u200bPaws",
    "isolates": "Happy \u2066Paws\u2069",
    "byte-order mark": "Happy\ufeffPaws",
    "line separator": "Happy\u2028Paws",
}
lying_names = pytest.mark.parametrize("name", LYING_NAMES.values(), ids=LYING_NAMES.keys())
NUL_REFUSED = str(ProhibitNullCharactersValidator.message)  # Django's form fields
ORG_ADD = reverse("admin:organizations_organization_add")


# Service -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*LYING_NAMES.values(), "Happy\x00Paws", "Happy\u200dPaws"])
def test_organization_create_refuses_a_name_that_lies(owner, name):
    before = Organization.objects.count()

    with pytest.raises(InvalidInput) as refused:
        services.organization_create(name=name, owner=owner)

    assert (refused.value.message, refused.value.field) == (NAME_INVISIBLE_CHARACTERS, "name")
    assert Organization.objects.count() == before
    assert not AuditEvent.objects.filter(action=AuditAction.ORGANIZATION_CREATED).exists()


def test_organization_create_refuses_a_name_longer_than_the_column(owner):
    limit = Organization._meta.get_field("name").max_length

    with pytest.raises(InvalidInput, match=re.escape(services.ORG_NAME_TOO_LONG)):
        services.organization_create(name="n" * (limit + 1), owner=owner)
    created = services.organization_create(name="n" * limit, owner=owner)

    assert created.name == "n" * limit


# Admin ---------------------------------------------------------------------------------


@lying_names
def test_the_admin_add_form_shows_a_form_error_and_creates_nothing(root_client, owner, name):
    before = Organization.objects.count()

    response = root_client.post(ORG_ADD, {"name": name, "owner": str(owner.pk)})

    assert response.status_code == 200
    assert escape(NAME_INVISIBLE_CHARACTERS) in response.content.decode()
    assert Organization.objects.count() == before


def test_the_admin_add_form_refuses_a_nul_byte(root_client, owner):
    before = Organization.objects.count()

    response = root_client.post(ORG_ADD, {"name": "Happy\x00Paws", "owner": str(owner.pk)})

    assert response.status_code == 200
    assert escape(NUL_REFUSED) in response.content.decode()
    assert Organization.objects.count() == before


@lying_names
def test_the_admin_change_form_shows_a_form_error_and_keeps_the_name(root_client, org, name):
    data = {
        "name": name,
        "slug": org.slug,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }

    response = root_client.post(
        reverse("admin:organizations_organization_change", args=[org.pk]), data
    )

    assert response.status_code == 200
    assert escape(NAME_INVISIBLE_CHARACTERS) in response.content.decode()
    org.refresh_from_db()
    assert org.name == "Happy Paws Clinic"


def test_the_admin_change_form_still_renames_to_a_readable_name(root_client, org):
    data = {
        "name": "  Ñandú Vets 🐾 ",
        "slug": org.slug,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }

    response = root_client.post(
        reverse("admin:organizations_organization_change", args=[org.pk]), data
    )

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Ñandú Vets 🐾"


# Management command --------------------------------------------------------------------


def test_create_organization_refuses_a_name_that_lies_and_creates_nothing(owner):
    before = Organization.objects.count()

    with pytest.raises(CommandError, match=re.escape(NAME_INVISIBLE_CHARACTERS)):
        call_command(
            "create_organization",
            "Happy Paws \u202elive",
            "--owner",
            owner.email,
            stdout=StringIO(),
            stderr=StringIO(),
        )

    assert Organization.objects.count() == before
