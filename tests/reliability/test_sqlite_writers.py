"""SQLite, the embedded default, under concurrent writers: no write is lost to a lock."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from tests.helpers import run_python

ROOT = Path(__file__).resolve().parents[2]

WRITERS = textwrap.dedent(
    """
    import threading, django
    django.setup()
    from django.core.management import call_command
    from django.db import connections
    call_command("migrate", verbosity=0)
    from apikeys import services
    from organizations.models import Membership, Organization, User

    owner = User.objects.create_user("owner@example.com", "x")
    org = Organization.objects.create(name="Clinic", slug="clinic")
    Membership.objects.create(user=owner, organization=org, role="owner")
    errors, barrier = [], threading.Barrier(8)

    def write(n):
        barrier.wait()  # every thread starts writing at once
        try:
            for i in range(10):
                key, _ = services.api_key_create(
                    organization=org, actor=owner, acting_key=None, name=f"k{n}-{i}"
                )
                services.api_key_set_default(key=key, actor=owner, acting_key=None)
        except Exception as error:  # noqa: BLE001 (counted, then reported)
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    from apikeys.models import APIKey
    print(len(errors), APIKey.objects.count(), APIKey.objects.filter(is_default=True).count())
    print(errors[:3])
    """
)


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite's own locking: runs in CI's SQLite pass",
)
def test_eight_concurrent_writers_on_sqlite_lose_nothing(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'writers.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    done = run_python(WRITERS, env, check=False)

    assert done.returncode == 0, done.stderr[-2000:]
    counts, first_errors = done.stdout.strip().splitlines()[-2:]
    assert counts == "0 80 1", first_errors  # no error, every key kept, exactly one default
