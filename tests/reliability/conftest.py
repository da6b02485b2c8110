"""Markers for tests that need real servers, with the reason they skip printed."""

import os

import pytest
from django.db import connection

from tests.helpers import sign_ins_are_fresh


@pytest.fixture(autouse=True)
def _signed_in_just_now(monkeypatch):
    """A test's `force_login` stands for a sign-in just now, which creating a key on its
    page requires (tests/accounts/test_reauthentication.py shows the page asking otherwise)."""
    sign_ins_are_fresh(monkeypatch)


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and concurrent connections: runs in CI's "
    "PostgreSQL pass (set DATABASE_URL=postgres://...)",
)
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL") or connection.vendor != "postgresql",
    reason="needs Redis shared by several processes and a database they can all reach: "
    "runs in CI's PostgreSQL+Redis pass (set DATABASE_URL and REDIS_URL)",
)
