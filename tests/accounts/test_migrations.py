"""The people already here when email verification arrived keep signing in."""

from __future__ import annotations

from importlib import import_module

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

migration = import_module("accounts.migrations.0001_verified_email_addresses")


def test_existing_users_get_a_verified_primary_address_and_sign_in():
    user = UserFactory(email="here.before@example.com", verified_email=False)

    migration.verify_existing_addresses(apps, None)

    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (user.email, True, True)
    response = Client().post(reverse("login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("integrations")


def test_an_address_already_on_file_is_left_as_it_is():
    user = UserFactory(email="pending@example.com", verified_email=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    migration.verify_existing_addresses(apps, None)

    assert list(EmailAddress.objects.filter(user=user).values_list("verified", flat=True)) == [
        False
    ]
