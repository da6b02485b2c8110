"""Schemathesis fuzzes every operation of `/api/schema/` on a live server with a real key.

Each operation is one test with fresh data: an organization whose owner holds a key with
every scope, plus objects the fuzzer may find (another key, a member, a user who could join,
and a foreign organization's key). Every generated request must get no 5xx and a response
that the schema documents: its status, content type, headers and body.

`SCHEMATHESIS_MAX_EXAMPLES` sets the examples per operation (`make schemathesis-long`: 500).
"""

from __future__ import annotations

import os

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.reliability import schemathesis_data as data

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))

# Not `positive_data_acceptance`: some valid-looking requests are rightly refused with a 400
# (a past `expires_at`, a member email without an account), rules JSON Schema cannot state.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

SERVED_SCHEMA = data.served_schema()
schema = schemathesis.openapi.from_dict(SERVED_SCHEMA, config=data.CONFIG)
data.install_hooks(schema)


@pytest.fixture
def fuzz_world(live_server, transactional_db, settings):
    """Return fresh data for one operation, the live server seeing generous rate limits."""
    # The fuzzer sends hundreds of requests a minute with one key: a 429 would hide the rest.
    settings.APIKEYS_RATE_PER_MINUTE = 1_000_000
    settings.APIKEYS_RATE_PER_HOUR = 1_000_000
    settings.APIKEYS_USER_RATE_PER_MINUTE = 1_000_000
    settings.APIKEYS_USER_RATE_PER_HOUR = 1_000_000
    world = data.build_world()
    data.CURRENT.world = world
    yield world
    data.CURRENT.world = None


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # `fuzz_world` is built once per operation on purpose: the examples share it.
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
def test_every_request_gets_a_documented_answer_and_no_server_error(case, fuzz_world, live_server):
    case.call_and_validate(
        base_url=live_server.url,
        headers=data.key_headers(fuzz_world.raw),
        checks=CHECKS,
        timeout=30,
    )


def test_the_fuzzed_schema_is_the_one_the_live_server_serves(live_server):
    response = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert response.status_code == 200
    assert response.json() == SERVED_SCHEMA


def test_the_fuzzing_key_is_accepted_in_all_three_headers_at_once(fuzz_world, live_server):
    # Without this, a key the server refused would pass the fuzzing: 401 is documented.
    headers = data.key_headers(fuzz_world.raw)

    me = requests.get(f"{live_server.url}/api/auth/me/", headers=headers, timeout=30)
    keys = requests.get(f"{live_server.url}/api/api-keys/", headers=headers, timeout=30)

    assert me.status_code == 200
    assert me.json()["organization_id"] == str(fuzz_world.organization.pk)
    assert keys.status_code == 200
    assert keys.json()["count"] == 2
