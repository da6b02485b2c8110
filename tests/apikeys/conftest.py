"""Fixtures for the key API tests."""

import pytest


@pytest.fixture(params=["owner", "admin", "staff"])
def manager(request, owner):
    """Each kind of user who may manage the organization's keys."""
    return request.getfixturevalue(request.param)
