"""Data and hooks for the schemathesis run: the schema, the fuzzing key and ids worth finding.

Random UUIDs only ever meet 404s, so the hooks often swap a generated id (in a path, a query
or a body) for a real one: an object the key may act on (another key, a member, its own
organization) or a foreign one that must stay invisible. The fuzzing key's own id never goes
into a path: a run that revoked its own key would spend the rest of its examples on 401s.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import schemathesis
from django.conf import settings
from django.test import Client
from hypothesis import strategies as st

from apikeys import services
from apikeys.models import APIKey
from organizations import services as org_services
from organizations.models import Organization, Role, User
from tests.factories import UserFactory

SCHEMA_PATH = "/api/schema/?format=json"
# The operations that create a key, where a generated organization id is worth swapping.
CREATES = ("/api/api-keys/", "/api/users/me/api-keys/")

# An explicit configuration, so no schemathesis.toml lying around changes the run.
CONFIG = schemathesis.Config.from_dict({})


def served_schema() -> dict[str, Any]:
    """Return the OpenAPI document `/api/schema/` serves (the view needs no database)."""
    response = Client(HTTP_HOST="127.0.0.1").get(SCHEMA_PATH)
    assert response.status_code == 200, response.content[:300]
    return response.json()


@dataclass
class World:
    """What one fuzzed operation starts from."""

    organization: Organization
    owner: User
    key: APIKey
    raw: str
    other_key: APIKey
    member: User
    newcomer: User
    foreign_organization: Organization
    foreign_owner: User
    foreign_key: APIKey


class Worlds:
    """A fresh `World` per fuzzed operation, built the first time that operation needs one.

    A lazily loaded schema runs every operation as a subtest of one test, whose fixtures are
    set up once: so each operation gets its own organization, keys and users here, and what
    one operation did (a revoked key, a removed member) never reaches another.
    """

    def __init__(self) -> None:
        self._by_operation: dict[str, World] = {}

    def for_operation(self, operation: Any) -> World:
        label = operation.label
        if label not in self._by_operation:
            self._by_operation[label] = build_world(tag=f"-{len(self._by_operation)}")
        return self._by_operation[label]


class _Current:
    worlds: Worlds | None = None


CURRENT = _Current()


def build_world(tag: str = "") -> World:
    """Create an organization and its key with every scope through the services.

    `tag` goes into every email, so that several worlds can live in one database.
    """
    owner = UserFactory(email=f"fuzz-owner{tag}@example.com")
    organization = org_services.organization_create(name="Fuzzing Clinic", owner=owner)
    key, raw = services.api_key_create(
        organization=organization,
        actor=owner,
        name="Schemathesis",
        scopes=list(settings.APIKEYS_SCOPES),
        acting_key=None,
    )
    other_key, _ = services.api_key_create(
        organization=organization, actor=owner, name="Billing Integration", acting_key=None
    )
    member = UserFactory(email=f"fuzz-member{tag}@example.com")
    org_services.member_add(
        organization=organization,
        actor=owner,
        email=member.email,
        role=Role.MEMBER,
        acting_key=None,
    )
    foreign_owner = UserFactory(email=f"fuzz-foreign{tag}@example.com")
    foreign_organization = org_services.organization_create(
        name="Foreign Clinic", owner=foreign_owner
    )
    foreign_key, _ = services.api_key_create(
        organization=foreign_organization,
        actor=foreign_owner,
        name="Foreign Integration",
        acting_key=None,
    )
    return World(
        organization=organization,
        owner=owner,
        key=key,
        raw=raw,
        other_key=other_key,
        member=member,
        newcomer=UserFactory(email=f"fuzz-newcomer{tag}@example.com"),
        foreign_organization=foreign_organization,
        foreign_owner=foreign_owner,
        foreign_key=foreign_key,
    )


def key_headers(raw: str) -> dict[str, str]:
    """Return the same key in every key header the schema declares.

    Schemathesis fills each security scheme with its own invented value, and two different
    keys in one request are (rightly) a 400: so each header carries the one real key.
    """
    return {"Authorization": f"Bearer {raw}", "X-API-Key": raw, "Api-Key": raw}


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _path_pools(path: str, world: World) -> dict[str, tuple[list[str], list[str]]]:
    """Return, per path parameter of `path`, the ids the key may act on and those it may not."""
    if path.startswith(("/api/api-keys/", "/api/users/me/api-keys/")):
        # The owner made both of the organization's keys: they are theirs on both paths.
        return {"id": ([str(world.other_key.pk)], [str(world.foreign_key.pk)])}
    if path.startswith("/api/organizations/"):
        return {
            "id": ([str(world.organization.pk)], [str(world.foreign_organization.pk)]),
            "user_id": (
                [str(world.member.pk), str(world.owner.pk)],
                [str(world.newcomer.pk), str(world.foreign_owner.pk)],
            ),
        }
    if path.startswith("/api/users/"):
        return {
            "user_id": ([str(world.owner.pk), str(world.member.pk)], [str(world.foreign_owner.pk)])
        }
    return {}


def _query_pools(world: World) -> dict[str, tuple[list[str], list[str]]]:
    """Return, per id-valued query parameter, the ids the key may see and those it may not."""
    return {
        "organization_id": ([str(world.organization.pk)], [str(world.foreign_organization.pk)]),
        "api_key": ([str(world.other_key.pk), str(world.key.pk)], [str(world.foreign_key.pk)]),
    }


def _sometimes(value: Any, own: list[str], other: list[str]) -> st.SearchStrategy[Any]:
    """Draw `value`, or more often a real id: mostly the key's own objects, sometimes foreign."""
    # Only a well-formed UUID is swapped: a malformed one is a negative case worth keeping.
    if not _is_uuid(value):
        return st.just(value)
    return st.sampled_from([*own * 3, *other, value])


def install_hooks(schema: Any) -> None:
    """Register the id-swapping hooks on `schema` only (not schemathesis-wide)."""

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        worlds = CURRENT.worlds
        if worlds is None or not path_parameters:
            return st.just(path_parameters)
        world = worlds.for_operation(context.operation)
        pools = _path_pools(context.operation.path, world)
        return st.fixed_dictionaries(
            {
                name: _sometimes(value, *pools.get(name, ([], [])))
                for name, value in path_parameters.items()
            }
        )

    @schema.hook
    def flatmap_query(context: Any, query: Any) -> Any:
        worlds = CURRENT.worlds
        if worlds is None or not isinstance(query, dict) or not query:
            return st.just(query)
        pools = _query_pools(worlds.for_operation(context.operation))
        return st.fixed_dictionaries(
            {
                name: _sometimes(value, *pools[name]) if name in pools else st.just(value)
                for name, value in query.items()
            }
        )

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        worlds = CURRENT.worlds
        if worlds is None or not isinstance(body, dict):
            return st.just(body)
        operation = context.operation
        if operation.method.upper() != "POST":
            return st.just(body)
        world = worlds.for_operation(operation)
        if operation.path == "/api/organizations/{id}/invitations/" and isinstance(
            body.get("email"), str
        ):
            # The newcomer may be invited (once: again is a 409); the member is one already.
            emails = [world.newcomer.email, world.newcomer.email, world.member.email, body["email"]]
            return st.sampled_from(emails).map(lambda email: {**body, "email": email})
        if operation.path in CREATES and "organization_id" in body:
            own, other = [str(world.organization.pk)], [str(world.foreign_organization.pk)]
            return _sometimes(body["organization_id"], own, other).map(
                lambda value: {**body, "organization_id": value}
            )
        return st.just(body)
