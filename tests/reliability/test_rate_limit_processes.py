"""Rate limits across processes: several processes share one key's budget through Redis."""

import os
import select
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
    import sys, django
    django.setup()
    from rest_framework.test import APIRequestFactory
    from apikeys import throttling
    from tests.apikeys.downstream import RecordsView

    raw, count, now = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    # Every process counts at the parent's `now`: the fixed windows cannot roll over
    # mid-test. The throttles' clock is their declared injection point (`timer`).
    throttling.WindowedRateThrottle.timer = staticmethod(lambda: now)
    view, factory = RecordsView.as_view(), APIRequestFactory()
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    codes = [view(factory.get("/records/", HTTP_X_API_KEY=raw)).status_code for _ in range(count)]
    print(" ".join(map(str, codes)))
    """
)


def wait_until_ready(workers, timeout=60):
    """Wait for every worker to have imported Django; fail with their stderr otherwise."""
    deadline = time.monotonic() + timeout
    for worker in workers:
        ready = select.select([worker.stdout], [], [], max(0, deadline - time.monotonic()))[0]
        if not ready or worker.stdout.readline() != "ready\n":
            for other in workers:
                other.kill()
            errors = [other.communicate()[1] for other in workers]
            pytest.fail(f"a worker did not start: {errors}")


def test_processes_together_get_exactly_the_configured_number(make_key):
    limit, processes, per_process = 15, 4, 10
    _, raw = make_key(scopes=["records:read"], rate_limit_per_hour=limit)
    now = time.time()  # one instant for every process's windows
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, raw, str(per_process), repr(now)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    wait_until_ready(workers)
    for worker in workers:  # release them all before reading any answer
        worker.stdin.write("go\n")
        worker.stdin.flush()
    outputs = [w.communicate(timeout=120) for w in workers]
    codes = [int(c) for out, err in outputs for c in out.split()]
    assert len(codes) == processes * per_process, [err for _, err in outputs]
    assert codes.count(200) == limit
    assert codes.count(429) == processes * per_process - limit
