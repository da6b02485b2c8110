"""The bench's Django side: the same small DRF view behind each authentication compared (so
an endpoint's cost over `none`'s is what its authentication adds), the floor, the URLs, and
the routing of a request to either key count's database."""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable
from typing import Any

from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from psycopg.sql import quote
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from apikeys import conf, keys, lookup
from apikeys.authentication import APIKeyAuthentication
from apikeys.models import APIKey
from apikeys.throttling import APIKeyRateThrottle, UserRateThrottle
from organizations.models import Membership, Organization, User

# The floor: `apikeys.lookup`'s statement (the key, its organization, its creator and the
# creator's membership role) written by hand. Its columns come from the models, as the
# lookup's do (the organization's and the user's ids are the key's foreign keys, and the
# user's password hash stays behind), named as the lookup names them; `check_floor`
# compares the two at start-up.
_ORG = [f for f in Organization._meta.concrete_fields if not f.primary_key]
_USER = [f for f in User._meta.concrete_fields if not f.primary_key and f.name != "password"]
_SELECTED = [("k", "", f) for f in APIKey._meta.concrete_fields]
_SELECTED += [("o", "organization__", f) for f in _ORG] + [("u", "created_by__", f) for f in _USER]
AT = {f"{path}{f.attname}": n for n, (_, path, f) in enumerate(_SELECTED)}
_USER_AT = [AT["created_by_id"], *(AT[f"created_by__{f.attname}"] for f in _USER)]
_USER_ATTNAMES = [User._meta.pk.attname, *(f.attname for f in _USER)]


def _column(model: Any, name: str | None = None) -> str:
    """A quoted column name (both databases take double quotes); the primary key's by default."""
    return f'"{(model._meta.get_field(name) if name else model._meta.pk).column}"'


_ORG_ID, _CREATOR_ID = _column(APIKey, "organization"), _column(APIKey, "created_by")
_SELECT = ", ".join(f'{t}."{f.column}" AS "{path}{f.attname}"' for t, path, f in _SELECTED)
FLOOR_SQL = f"""
SELECT {_SELECT}, m.{_column(Membership, "role")}
FROM "{APIKey._meta.db_table}" k
JOIN "{Organization._meta.db_table}" o ON o.{_column(Organization)} = k.{_ORG_ID}
JOIN "{User._meta.db_table}" u ON u.{_column(User)} = k.{_CREATOR_ID}
LEFT JOIN "{Membership._meta.db_table}" m ON m.{_column(Membership, "user")} = k.{_CREATOR_ID}
 AND m.{_column(Membership, "organization")} = k.{_ORG_ID}
WHERE k.{_column(APIKey, "prefix")} = %s
"""


def check_floor(alias: str) -> None:
    """Fail unless the floor selects the lookup's columns, in the lookup's order."""
    compiled = lookup._CompiledLookup(alias)
    selected = []
    with connections[alias].cursor() as cursor:
        for sql, params in (
            (compiled.sql, {**compiled.params, compiled.prefix_param: ""}),
            (FLOOR_SQL, [""]),
        ):
            cursor.execute(sql, params)
            selected.append([column[0] for column in cursor.description])
    # The role is the last column of both, named differently.
    if len(selected[0]) != len(selected[1]) or selected[0][:-1] != selected[1][:-1]:
        raise SystemExit(f"the floor selects {selected[1]}, apikeys.lookup {selected[0]}")


class FloorAuthentication(BaseAuthentication):
    """Reference lower bound: one hand-written SQL statement, HMAC, user built from the row.

    Checks what `APIKeyAuthentication` checks (format, digest, status, expiry, creator active
    and still a member), reads the same columns, but converts only what the checks need and
    builds no model but the user. Its statement stands in for the connection health check
    as (c)'s lookup does (`CONN_HEALTH_CHECKS`' `SELECT 1` is not part of a floor).
    """

    def authenticate(self, request: Request) -> tuple[User, tuple[Any, ...]] | None:
        scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        parsed = keys.parse(raw, conf.brand())
        if parsed is None:
            raise exceptions.AuthenticationFailed("Invalid API key")
        database = connections[router.db_for_read(APIKey)]  # as (c)'s lookup picks it
        row = lookup.read_checking_connection(database, lambda: self.fetch(database, parsed))
        if row is None or not keys.verify(
            raw, row[AT["hashed_key"]], row[AT["hash_version"]], conf.pepper()
        ):
            raise exceptions.AuthenticationFailed("Invalid API key")
        expires_at, role = row[AT["expires_at"]], row[-1]
        if isinstance(expires_at, str):  # SQLite hands back text
            expires_at = parse_datetime(expires_at)
        if (
            row[AT["status"]] != "active"
            or (expires_at is not None and expires_at <= timezone.now())
            or not row[AT["created_by__is_active"]]
            or (role is None and not row[AT["created_by__is_staff"]])
        ):
            raise exceptions.AuthenticationFailed("Invalid API key")
        user = User.from_db(database.alias, _USER_ATTNAMES, [row[n] for n in _USER_AT])
        scopes = row[AT["scopes"]]
        scopes = json.loads(scopes) if isinstance(scopes, str) else scopes
        return user, (row, scopes, role or "admin")

    def fetch(self, database: Any, parsed: Any) -> tuple[Any, ...] | None:
        with database.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [parsed.prefix])
            return cursor.fetchone()


class PreparedFloorAuthentication(FloorAuthentication):
    """The floor with its statement prepared on the server once per connection (PostgreSQL),
    as the product's lookup is there: like for like."""

    _prepared: weakref.WeakSet[Any] = weakref.WeakSet()

    def fetch(self, database: Any, parsed: Any) -> tuple[Any, ...] | None:
        with database.cursor() as cursor:
            if database.connection not in self._prepared:
                cursor.execute("PREPARE bench_floor AS " + FLOOR_SQL.replace("%s", "$1"))
                self._prepared.add(database.connection)
            # The prefix inlined, as a client-side-binding cursor sends it: with server-side
            # binding PostgreSQL takes no parameter in an EXECUTE.
            cursor.execute(f"EXECUTE bench_floor({quote(parsed.prefix)})")
            return cursor.fetchone()


class Hello(APIView):
    """The downstream view: a fixed JSON body, so only the authentication differs."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def _view(authentication: list | None = None, permission: Any = IsAuthenticated, throttles=()):
    return Hello.as_view(
        authentication_classes=authentication or [],
        permission_classes=[permission],
        throttle_classes=list(throttles),
    )


# The names are benchmarks.report.ENDPOINTS'.
urlpatterns = [
    path(f"bench/{name}/", view)
    for name, view in {
        "none": _view(permission=AllowAny),
        "token": _view([TokenAuthentication]),
        # The product as shipped: the default throttles, last-used tracking on.
        "apikey": _view([APIKeyAuthentication], throttles=[APIKeyRateThrottle, UserRateThrottle]),
        # The same without throttles: what the lookup alone costs, next to the floor.
        "apikey-nothrottle": _view([APIKeyAuthentication]),
        "drf-api-key": _view(permission=HasAPIKey),
        "floor": _view([FloorAuthentication]),
        "floor-prepared": _view([PreparedFloorAuthentication]),
    }.items()
]

# Two key counts in one process: comparing them across processes mixes the key count's
# effect with each process's own speed (a shared machine's drift, memory layout), which
# moved the ratio by more than the 10% the target allows. So one process holds both bench
# databases, `default` (the smaller key count) and `large`, and interleaves requests to both
# in the same rounds: a request with `X-Bench-Database: large` runs, reads and writes alike,
# on `large`.
DATABASE_HEADER = "HTTP_X_BENCH_DATABASE"
_current = threading.local()


class DatabaseRouting:
    """The middleware that picks a request's database, and the router that applies it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse] | None = None):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _current.alias = "large" if request.META.get(DATABASE_HEADER) == "large" else "default"
        try:
            return self.get_response(request)
        finally:
            _current.alias = "default"

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return getattr(_current, "alias", "default")

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True
