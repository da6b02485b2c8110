"""A person in no organization lands on a page that creates one, and becomes its owner."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditAction, AuditEvent
from organizations.models import Membership, Organization, Role
from organizations.services import ORG_NAME_REQUIRED
from organizations.views.navigation import ORGANIZATION_CREATED
from tests.factories import PASSWORD, UserFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def test_after_signing_in_a_person_in_no_organization_is_asked_to_create_one():
    user = UserFactory(email="new@example.com")
    client = Client()

    landing = client.post(reverse("login"), {"login": user.email, "password": PASSWORD})
    page = client.get(landing["Location"])

    assert landing["Location"] == reverse("integrations")
    html = page.content.decode()
    assert f'action="{reverse("organization-create")}"' in html
    assert "Organization name" in html and "Create organization" in html


def test_creating_an_organization_makes_the_creator_its_owner_and_opens_it():
    user = UserFactory(email="new@example.com")
    client = signed_in(user)

    response = client.post(reverse("organization-create"), {"name": "Riverside Vets"})

    organization = Organization.objects.get(name="Riverside Vets")
    assert response["Location"] == reverse("api-keys", args=[organization.pk])
    assert Membership.objects.get(organization=organization).user == user
    assert Membership.objects.get(organization=organization).role == Role.OWNER
    page = client.get(response["Location"]).content.decode()
    assert ORGANIZATION_CREATED.format(name="Riverside Vets") in page
    event = AuditEvent.objects.get(action=AuditAction.ORGANIZATION_CREATED)
    assert (event.actor, event.organization) == (user, organization)
    assert client.get(reverse("integrations"))["Location"] == response["Location"]


def test_a_blank_name_is_refused_inline_and_creates_nothing():
    client = signed_in(UserFactory(email="new@example.com"))

    response = client.post(reverse("organization-create"), {"name": "   "})

    assert response.status_code == 400
    assert ORG_NAME_REQUIRED in response.content.decode()
    assert not Organization.objects.exists()


def test_creating_an_organization_takes_a_post_by_someone_signed_in():
    user = UserFactory(email="new@example.com")

    assert signed_in(user).get(reverse("organization-create")).status_code == 405
    anonymous = Client().post(reverse("organization-create"), {"name": "Sneaky"})
    assert anonymous["Location"].startswith(reverse("login"))
    assert not Organization.objects.exists()
