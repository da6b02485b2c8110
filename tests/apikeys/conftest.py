"""Fixtures for the key API tests."""

import pytest

from tests.helpers import sign_ins_are_fresh


@pytest.fixture(autouse=True)
def _signed_in_just_now(monkeypatch):
    """Creating and rotating a key ask for the password again unless the last
    authentication is recent: here a test's `force_login` stands for a sign-in just now
    (tests/accounts/test_reauthentication.py shows the pages asking)."""
    sign_ins_are_fresh(monkeypatch)


@pytest.fixture(params=["owner", "admin", "staff"])
def manager(request, owner):
    """Each kind of user who may manage the organization's keys."""
    return request.getfixturevalue(request.param)
