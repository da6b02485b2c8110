"""Fixtures shared by the whole suite: an organization with one user per role, and keys."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from apikeys import services
from organizations.models import Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

# Hypothesis fails an example that takes over 200 ms: a timing assertion, which a preempted
# process on a shared CI machine trips. What these properties check is behaviour, not time.
hypothesis_settings.register_profile("keyportal", deadline=None)
hypothesis_settings.load_profile("keyportal")


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache, and addresses refused for unknown keys in the
    # process: every test starts from zero.
    from apikeys.throttling import UNKNOWN_KEYS

    cache.clear()
    UNKNOWN_KEYS.blocked.clear()
    yield
    cache.clear()
    UNKNOWN_KEYS.blocked.clear()


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Happy Paws Clinic")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Other Clinic")


def _member(org, role, email):
    return MembershipFactory(organization=org, role=role, user=UserFactory(email=email)).user


@pytest.fixture
def owner(org):
    return _member(org, Role.OWNER, "owner@example.com")


@pytest.fixture
def admin(org):
    return _member(org, Role.ADMIN, "admin@example.com")


@pytest.fixture
def member(org):
    return _member(org, Role.MEMBER, "member@example.com")


# The Django permissions a staff member needs to govern keys in organizations they do not
# belong to: `is_staff` alone mints nothing (see `bare_staff`).
STAFF_KEY_PERMISSIONS = ("add_apikey", "change_apikey", "view_apikey")


@pytest.fixture
def staff(db):
    """A staff member granted the key permissions: acts as an admin in every organization."""
    user = UserFactory(email="staff@example.com", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="apikeys", codename__in=STAFF_KEY_PERMISSIONS
        )
    )
    return user


@pytest.fixture
def bare_staff(db):
    """A staff member with no Django permissions at all."""
    return UserFactory(email="bare-staff@example.com", is_staff=True)


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def root_client(client, superuser):
    """Django's test client signed in as a superuser (the admin's tests)."""
    client.force_login(superuser)
    return client


@pytest.fixture
def outsider(other_org):
    return _member(other_org, Role.OWNER, "outsider@example.com")


@pytest.fixture
def make_key(org, owner):
    """Create a key through the lifecycle; returns `(key, plaintext)`."""

    def make(**kwargs):
        kwargs.setdefault("organization", org)
        kwargs.setdefault("actor", owner)
        kwargs.setdefault("name", "Production Integration")
        kwargs.setdefault("acting_key", None)
        return services.api_key_create(**kwargs)

    return make


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def key_client(make_key):
    """An API client authenticated with a fresh key holding `api_keys:manage`."""

    def make(scopes=("api_keys:manage", "records:read"), **kwargs):
        key, raw = make_key(scopes=list(scopes), **kwargs)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.key, client.raw = key, raw
        return client

    return make
