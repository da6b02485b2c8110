"""The bench's Django side: one view behind each authentication compared, the floor, the URLs,
and the routing of a request to either key count's database.

Every endpoint is the same DRF view returning the same small JSON body; only its
authentication, permission and throttle classes differ, so the difference in cost between
an endpoint and `none` is what that authentication adds.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
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
# user's password hash stays behind); `check_floor` compares the two at start-up.
_KEY = [f for f in APIKey._meta.concrete_fields]
_ORG = [f for f in Organization._meta.concrete_fields if not f.primary_key]
_USER = [f for f in User._meta.concrete_fields if not f.primary_key and f.name != "password"]
_SELECTED = [("k", f) for f in _KEY] + [("o", f) for f in _ORG] + [("u", f) for f in _USER]
AT = {f"{table}.{f.attname}": n for n, (table, f) in enumerate(_SELECTED)}


def _column(model: Any, name: str | None = None) -> str:
    """A column's quoted name (both databases take double quotes); the primary key's by default."""
    return f'"{(model._meta.get_field(name) if name else model._meta.pk).column}"'


_SELECT = ", ".join(f'{table}."{f.column}"' for table, f in _SELECTED)
FLOOR_SQL = f"""
SELECT {_SELECT}, m.{_column(Membership, "role")}
FROM "{APIKey._meta.db_table}" k
JOIN "{Organization._meta.db_table}" o ON o.{_column(Organization)} = k.{_column(APIKey, "organization")}
JOIN "{User._meta.db_table}" u ON u.{_column(User)} = k.{_column(APIKey, "created_by")}
LEFT JOIN "{Membership._meta.db_table}" m
  ON m.{_column(Membership, "user")} = k.{_column(APIKey, "created_by")}
 AND m.{_column(Membership, "organization")} = k.{_column(APIKey, "organization")}
WHERE k.{_column(APIKey, "prefix")} = %s
"""  # noqa: E501


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


@dataclass(slots=True)
class FloorKey:
    """What the floor authenticates as: the key's row, its scopes and the role."""

    row: tuple[Any, ...]
    scopes: list[str]
    role: str


class FloorAuthentication(BaseAuthentication):
    """Reference lower bound: one hand-written SQL statement, HMAC, user built from the row.

    Checks what `APIKeyAuthentication` checks (format, digest, status, expiry, creator active
    and still a member), reads the same columns, but converts only what the checks need and
    builds no model but the user. Its statement stands in for the connection health check
    as (c)'s lookup does (`CONN_HEALTH_CHECKS`' `SELECT 1` is not part of a floor).
    """

    def authenticate(self, request: Request) -> tuple[User, FloorKey] | None:
        scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        parsed = keys.parse(raw, conf.brand())
        if parsed is None:
            raise exceptions.AuthenticationFailed("Invalid API key")
        database = connections[router.db_for_read(APIKey)]  # as (c)'s lookup picks it
        row = lookup.read_checking_connection(database, lambda: self.fetch(database, parsed))
        if row is None or not keys.verify(
            raw, row[AT["k.hashed_key"]], row[AT["k.hash_version"]], conf.pepper()
        ):
            raise exceptions.AuthenticationFailed("Invalid API key")
        expires_at, role = row[AT["k.expires_at"]], row[-1]
        if isinstance(expires_at, str):  # SQLite hands back text
            expires_at = parse_datetime(expires_at)
        if (
            row[AT["k.status"]] != "active"
            or (expires_at is not None and expires_at <= timezone.now())
            or not row[AT["u.is_active"]]
            or (role is None and not row[AT["u.is_staff"]])
        ):
            raise exceptions.AuthenticationFailed("Invalid API key")
        user = User.from_db(
            database.alias,
            [User._meta.pk.attname, *(f.attname for f in _USER)],
            [row[AT["k.created_by_id"]], *(row[AT[f"u.{f.attname}"]] for f in _USER)],
        )
        scopes = row[AT["k.scopes"]]
        scopes = json.loads(scopes) if isinstance(scopes, str) else scopes
        return user, FloorKey(row, scopes, role or "admin")

    def fetch(self, database: Any, parsed: Any) -> tuple[Any, ...] | None:
        with database.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [parsed.prefix])
            return cursor.fetchone()


class PreparedFloorAuthentication(FloorAuthentication):
    """The floor with its statement prepared on the server once per connection (PostgreSQL),
    as `APIKeyAuthentication` prepares its lookup there: like for like."""

    _prepared: weakref.WeakSet[Any] = weakref.WeakSet()

    def fetch(self, database: Any, parsed: Any) -> tuple[Any, ...] | None:
        with database.cursor() as cursor:
            if database.connection not in self._prepared:
                cursor.execute("PREPARE bench_floor AS " + FLOOR_SQL.replace("%s", "$1"))
                self._prepared.add(database.connection)
            cursor.execute("EXECUTE bench_floor(%s)", [parsed.prefix])
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


class DatabaseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _current.alias = "large" if request.META.get(DATABASE_HEADER) == "large" else "default"
        try:
            return self.get_response(request)
        finally:
            _current.alias = "default"


class DatabaseRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        return getattr(_current, "alias", "default")

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True
