"""The authentication lookup: a key by its public prefix, with its organization, its
creator and the creator's role there, in one SQL statement compiled once.

Every authenticated request runs it, so it is the one place in the product that trades
some plainness for speed; `docs/performance.md` gives what each trick saves.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Model, OuterRef, Subquery
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.db.utils import Error as DatabaseFailure

from apikeys import conf, keys
from apikeys.models import APIKey
from organizations.models import Membership, Organization, User

_T = TypeVar("_T")
_PREFIX_PLACEHOLDER = "\x00prefix\x00"
_KEY_FIELDS = tuple(f.attname for f in APIKey._meta.concrete_fields)
_ORG_FIELDS = tuple(f.attname for f in Organization._meta.concrete_fields)
# The user is built without its password hash: authentication never needs it.
_USER_FIELDS = tuple(
    f.attname for f in User._meta.concrete_fields if f.attname not in ("password",)
)
# The organization's and the user's ids are the key's foreign keys: not selected twice.
_ORG_PK = _ORG_FIELDS.index(Organization._meta.pk.attname)
_USER_PK = _USER_FIELDS.index(User._meta.pk.attname)
_ORG_SELECTED = _ORG_FIELDS[:_ORG_PK] + _ORG_FIELDS[_ORG_PK + 1 :]
_USER_SELECTED = _USER_FIELDS[:_USER_PK] + _USER_FIELDS[_USER_PK + 1 :]
_ORGANIZATION = APIKey._meta.get_field("organization")
_CREATED_BY = APIKey._meta.get_field("created_by")
# A positional `%s` placeholder as Django's compilers write them (`%%` is a literal `%`).
_POSITIONAL = re.compile(r"(?<!%)%s")


@dataclass(slots=True)
class AuthLookup:
    """A key row with its organization and creator attached, and the creator's role there."""

    key: APIKey
    membership_role: str | None


class _CompiledLookup:
    """One SQL statement, compiled from the ORM once per database alias.

    Why not a plain queryset: every authenticated request runs this lookup, and building
    and compiling an ORM query costs several times more than running it (measured in
    benchmarks/, see docs/performance.md). So the query is built with the ORM, which keeps
    it from drifting from the models (columns, joins and quoting come from Django), compiled
    once, and then run through a Django cursor (so it is counted, logged and wrapped like
    any query); rows pass through the same converters a queryset applies, prepared once,
    and are hydrated with `Model.from_db`, as a queryset would.

    Four details keep the per-request work small (on PostgreSQL, psycopg also prepares the
    statement on the server once a connection has run it a few times: see
    `DATABASE_PREPARED_STATEMENTS` in the settings):

    - the statement takes named parameters: with positional `%s`, SQLite's backend rewrites
      every placeholder of the 2 KB statement with a regular expression on each execute,
      which costs as much as running it; a mapping is one `%` format instead;
    - the converters (text to UUID or datetime on SQLite, JSON for `scopes`) are looked up
      once; looking them up is most of what `results_iter` costs per call;
    - the three instances are built as `Model.from_db` leaves them, without running
      `Model.__init__` (see `_loaded`), unless an init signal has a receiver;
    - the statement is also the request's connection health check
      (`read_checking_connection`): no `SELECT 1` round trip before it.

    tests/apikeys/test_auth_performance.py compares every hydrated field with an ORM load.
    """

    def __init__(self, alias: str) -> None:
        role = (
            Membership.objects.filter(
                user_id=OuterRef("created_by_id"), organization_id=OuterRef("organization_id")
            )
            .order_by()
            .values("role")[:1]
        )
        queryset = (
            APIKey.objects.using(alias)
            .filter(prefix=_PREFIX_PLACEHOLDER)
            .annotate(_membership_role=Subquery(role))
            .order_by()
            .values_list(
                *_KEY_FIELDS,
                *(f"organization__{name}" for name in _ORG_SELECTED),
                *(f"created_by__{name}" for name in _USER_SELECTED),
                "_membership_role",
            )
        )
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        pieces = _POSITIONAL.split(sql)
        if len(pieces) != len(params) + 1:
            raise RuntimeError("unexpected placeholders in the authentication lookup")
        names = [f"p{n}" for n in range(len(params))]
        self.alias = alias
        self.sql = pieces[0] + "".join(
            f"%({name})s{piece}" for name, piece in zip(names, pieces[1:], strict=True)
        )
        self.params = dict(zip(names, params, strict=True))
        self.prefix_param = names[list(params).index(_PREFIX_PLACEHOLDER)]
        columns = [expression for expression, _, _ in compiler.select[: compiler.col_count]]
        if len(columns) != len(_KEY_FIELDS) + len(_ORG_SELECTED) + len(_USER_SELECTED) + 1:
            raise RuntimeError("the authentication lookup selects unexpected columns")
        # One (position, converter, expression) per step: a column with several converters
        # gets several consecutive steps, applied in order, as `apply_converters` does.
        self.converters = [
            (position, convert, expression)
            for position, (converters, expression) in compiler.get_converters(columns).items()
            for convert in converters
        ]

    def run(self, prefix: str) -> AuthLookup | None:
        params = {**self.params, self.prefix_param: prefix}
        connection = connections[self.alias]
        row = read_checking_connection(connection, lambda: self._fetch(connection, params))
        if row is None:
            return None
        values = list(row)
        for position, convert, expression in self.converters:
            value = values[position]
            if value is not None:  # NULL stays None through every converter these models use
                values[position] = convert(value, expression, connection)
        return self._hydrate(values)

    def _fetch(self, connection: Any, params: dict[str, Any]) -> tuple[Any, ...] | None:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchone()

    def _hydrate(self, row: list[Any]) -> AuthLookup:
        nk, no, nu = len(_KEY_FIELDS), len(_ORG_SELECTED), len(_USER_SELECTED)
        key = _loaded(APIKey, self.alias, _KEY_FIELDS, row[:nk])
        org_values = row[nk : nk + no]
        org_values.insert(_ORG_PK, key.organization_id)
        user_values = row[nk + no : nk + no + nu]
        user_values.insert(_USER_PK, key.created_by_id)
        organization = _loaded(Organization, self.alias, _ORG_FIELDS, org_values)
        user = _loaded(User, self.alias, _USER_FIELDS, user_values)
        # Straight into the relation caches, as select_related does: the ids already match.
        _ORGANIZATION.set_cached_value(key, organization)
        _CREATED_BY.set_cached_value(key, user)
        return AuthLookup(key=key, membership_role=row[-1])


def read_checking_connection(connection: Any, read: Callable[[], _T]) -> _T:
    """Run the read-only `read` on `connection`, as this request's connection health check.

    With `CONN_HEALTH_CHECKS`, Django sends `SELECT 1` before the first query of every
    request that reuses a connection: one more round trip, on every authenticated request,
    for a connection that is almost always fine. A read on that same connection checks it
    as well: if it fails and the connection is no longer usable (it died since the last
    request, which is what the check is for), reconnect and read once more, as the check
    would have. Inside a transaction, or once the check is done, Django's way stands.
    """
    if (
        connection.connection is None  # a new connection is healthy
        or not connection.health_check_enabled
        or connection.health_check_done
        or connection.in_atomic_block  # a failure there must abort the transaction
    ):
        return read()
    connection.health_check_done = True
    try:
        return read()
    except DatabaseFailure:  # OperationalError, InterfaceError, ...
        if connection.is_usable():
            raise  # the statement failed, not the connection
        connection.close()
        return read()


def _loaded(model: type[Model], alias: str, attnames: tuple[str, ...], values: list[Any]) -> Any:
    """Build an instance loaded from `alias`, exactly as `model.from_db` leaves it.

    `Model.__init__` sends two signals and sets every field through its descriptor, which
    costs four times what the resulting state takes to write: a loaded instance is its field
    values in `__dict__` (a field left out is deferred) and a `_state` saying which database
    it came from. A model with its own `__init__`, or a receiver on either init signal (an
    app may count on them), takes the documented path instead. The tests compare both ways
    field by field.
    """
    if model.__init__ is not Model.__init__ or (
        # `receivers` first: empty in this project, and cheaper than asking per model.
        (pre_init.receivers or post_init.receivers)
        and (pre_init.has_listeners(model) or post_init.has_listeners(model))
    ):
        return model.from_db(alias, attnames, values)
    instance = model.__new__(model)
    state = ModelState()
    state.adding, state.db = False, alias
    instance.__dict__.update(zip(attnames, values, strict=True))
    instance._state = state
    return instance


_compiled: dict[str, _CompiledLookup] = {}
_compile_lock = threading.Lock()


def api_key_for_authentication(prefix: str) -> AuthLookup | None:
    """Return the key with this display prefix, its organization, creator and role: one query."""
    alias = router.db_for_read(APIKey)
    lookup = _compiled.get(alias)
    if lookup is None:
        with _compile_lock:
            lookup = _compiled.get(alias) or _compiled.setdefault(alias, _CompiledLookup(alias))
    return lookup.run(prefix)


def issued_keys(tokens: Iterable[str]) -> dict[str, APIKey]:
    """Map each token that is a key this deployment issued to its row (any status).

    A token is ours only if `keys.parse` accepts it (brand, shape, checksum: no I/O for the
    rest) and its digest matches the row with its prefix; one query for the whole report.
    """
    brand, pepper = conf.brand(), conf.pepper()
    parsed = {token: keys.parse(token, brand) for token in set(tokens)}
    prefixes = {p.prefix for p in parsed.values() if p is not None}
    if not prefixes:
        return {}
    rows = {
        key.prefix: key
        for key in APIKey.objects.select_related("organization", "created_by").filter(
            prefix__in=prefixes
        )
    }
    found = {}
    for token, parsed_key in parsed.items():
        row = rows.get(parsed_key.prefix) if parsed_key is not None else None
        if row is not None and keys.verify(token, row.hashed_key, row.hash_version, pepper):
            found[token] = row
    return found
