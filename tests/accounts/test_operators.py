"""What an operator runs: the demo's people sign in (the staff one to the admin), and
`python manage.py …` works as the README writes it."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from organizations.management.commands import seed_demo
from organizations.models import User
from tests.helpers import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # as `make run` runs it
    out = StringIO()
    call_command("seed_demo", "--base-url", "http://127.0.0.1:8001", stdout=out)
    return out.getvalue()


def test_the_demo_prints_a_staff_sign_in_for_the_admin(demo):
    assert f"staff:  {seed_demo.DEMO_STAFF} / {seed_demo.DEMO_PASSWORD}" in demo
    assert "(the admin: http://127.0.0.1:8001/admin/)" in demo
    assert "Sign in at http://127.0.0.1:8001/accounts/login/" in demo
    staff = User.objects.get(email=seed_demo.DEMO_STAFF)
    assert staff.is_staff and staff.is_superuser


def test_every_demo_address_is_confirmed(demo):
    for email in (seed_demo.DEMO_OWNER, seed_demo.DEMO_MEMBER, seed_demo.DEMO_STAFF):
        assert EmailAddress.objects.get(email=email).verified


def test_the_demo_owner_signs_in_to_the_demo_organization(demo):
    client = Client()
    response = client.post(
        reverse("login"), {"login": seed_demo.DEMO_OWNER, "password": seed_demo.DEMO_PASSWORD}
    )

    assert response["Location"] == reverse("integrations")
    assert client.get(reverse("integrations"))["Location"].startswith("/orgs/")


def test_the_demo_staff_signs_in_to_the_admin(demo):
    client = Client()
    response = client.post(
        reverse("login"),
        {"login": seed_demo.DEMO_STAFF, "password": seed_demo.DEMO_PASSWORD, "next": "/admin/"},
    )

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_manage_py_under_a_python_without_django_hands_over_to_the_venv():
    # The interpreter the virtualenv was made from, without any site-packages: no Django.
    bare = [sys._base_executable, "-I", "-S"]
    assert subprocess.run([*bare, "-c", "import django"], capture_output=True).returncode != 0
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    result = subprocess.run(
        [*bare, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
