"""Rate limits across processes: several processes share one key's budget through Redis."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.reliability.conftest import needs_redis

pytestmark = [needs_redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WORKER = textwrap.dedent(
    """
    import os, sys, django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from rest_framework.test import APIRequestFactory
    from tests.apikeys.downstream import RecordsView

    view, factory = RecordsView.as_view(), APIRequestFactory()
    raw, count = sys.argv[1], int(sys.argv[2])
    sys.stdin.readline()  # start together
    codes = [view(factory.get("/records/", HTTP_X_API_KEY=raw)).status_code for _ in range(count)]
    print(" ".join(map(str, codes)))
    """
)


def test_processes_together_get_exactly_the_configured_number(make_key):
    limit, processes, per_process = 15, 4, 10
    _, raw = make_key(scopes=["records:read"], rate_limit_per_hour=limit)
    # Stay clear of an hour boundary, where the fixed window would legitimately reset.
    if 3600 - time.time() % 3600 < 20:
        time.sleep(25)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PYTEST_VERSION": os.environ.get("PYTEST_VERSION", "8"),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, raw, str(per_process)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    time.sleep(3)  # let every process import Django before they start together
    outputs = [w.communicate("go\n", timeout=120) for w in workers]
    codes = [int(c) for out, err in outputs for c in out.split()]
    assert len(codes) == processes * per_process, [err for _, err in outputs]
    assert codes.count(200) == limit
    assert codes.count(429) == processes * per_process - limit
