"""Schemathesis fuzzes every operation of `/api/schema/` on a live server with a real key.

The schema is loaded by a fixture when the fuzzing test runs (collection does no work, and a
schema that fails to load fails that test); each operation is reported as a subtest. Each
operation gets fresh data: an organization whose owner holds a key with every scope, plus
objects the fuzzer may find (another key, a member, a user who could join, and a foreign
organization's key). Every generated request must get no 5xx and a response that the schema
documents: its status, content type, headers and body.

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


@pytest.fixture(scope="module")
def served_schema():
    """The OpenAPI document `/api/schema/` serves."""
    return data.served_schema()


@pytest.fixture(scope="module")
def api_schema(served_schema):
    """The served schema for schemathesis, with the id-swapping hooks on it."""
    loaded = schemathesis.openapi.from_dict(served_schema, config=data.CONFIG)
    data.install_hooks(loaded)
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def _lazy_schema_nodeid(request):
    """Schemathesis' lazy schema reads `item._nodeid`, which pytest 9.2 no longer has.

    Schemathesis (4.32.5) renames the item after each operation through that attribute, for
    display only; the subtest reports name the operation either way.
    """
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def fuzz_worlds(live_server, transactional_db, settings):
    """Fresh data per fuzzed operation, the live server seeing generous rate limits."""
    # The fuzzer sends hundreds of requests a minute with one key: a 429 would hide the rest.
    settings.APIKEYS_RATE_PER_MINUTE = 1_000_000
    settings.APIKEYS_RATE_PER_HOUR = 1_000_000
    settings.APIKEYS_USER_RATE_PER_MINUTE = 1_000_000
    settings.APIKEYS_USER_RATE_PER_HOUR = 1_000_000
    worlds = data.Worlds()
    data.CURRENT.worlds = worlds
    yield worlds
    data.CURRENT.worlds = None


@pytest.fixture
def fuzz_world(live_server, transactional_db):
    """One world, as every fuzzed operation gets."""
    return data.build_world()


@schema.parametrize()
@pytest.mark.usefixtures("_lazy_schema_nodeid")
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # `fuzz_worlds` is set up once for the run on purpose: it hands each operation its own
    # world, which that operation's examples share.
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
def test_every_request_gets_a_documented_answer_and_no_server_error(case, fuzz_worlds, live_server):
    world = fuzz_worlds.for_operation(case.operation)
    case.call_and_validate(
        base_url=live_server.url,
        headers=data.key_headers(world.raw),
        checks=CHECKS,
        timeout=30,
    )


def test_the_fuzzed_schema_is_the_one_the_live_server_serves(live_server, served_schema):
    response = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert response.status_code == 200
    assert response.json() == served_schema


def test_the_fuzzing_key_is_accepted_in_all_three_headers_at_once(fuzz_world, live_server):
    # Without this, a key the server refused would pass the fuzzing: 401 is documented.
    headers = data.key_headers(fuzz_world.raw)

    me = requests.get(f"{live_server.url}/api/auth/me/", headers=headers, timeout=30)
    keys = requests.get(f"{live_server.url}/api/api-keys/", headers=headers, timeout=30)
    own = requests.get(f"{live_server.url}/api/users/me/api-keys/", headers=headers, timeout=30)

    assert me.status_code == 200
    assert me.json()["organization_id"] == str(fuzz_world.organization.pk)
    assert keys.status_code == 200
    assert keys.json()["count"] == 2
    assert own.status_code == 200
    assert own.json()["count"] == 2  # the owner made both: the fuzzer reaches them there too
