"""The one downstream view, behind each authentication the bench compares, and the floor.

Every endpoint is the same DRF view returning the same small JSON body; only its
authentication, permission and throttle classes differ, so the difference in cost between
an endpoint and `none` is what that authentication adds.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from apikeys import conf, keys
from apikeys.authentication import APIKeyAuthentication
from apikeys.models import APIKey
from apikeys.selectors import read_checking_connection
from apikeys.throttling import APIKeyRateThrottle, UserRateThrottle
from organizations.models import User

FLOOR_REFUSED = "Invalid API key"

# The floor: the same lookup as `apikeys.selectors._CompiledLookup` (the key, its
# organization, its creator and the creator's membership role, the same columns in one
# statement), written by hand and run through a cursor.
_KEY_COLUMNS = (
    "id, organization_id, created_by_id, name, mode, prefix, hashed_key, hash_version, "
    "scopes, status, is_default, expires_at, last_used_at, created_at, paused_at, "
    "revoked_at, revoked_by_id, rotated_from_id, rotated_at, rate_limit_per_minute, "
    "rate_limit_per_hour"
)
FLOOR_SQL = f"""
SELECT {", ".join("k." + c for c in _KEY_COLUMNS.split(", "))},
       o.name, o.slug, o.created_at,
       u.last_login, u.is_superuser, u.email, u.full_name, u.is_staff, u.is_active,
       u.date_joined, m.role
FROM apikeys_apikey k
JOIN organizations_organization o ON o.id = k.organization_id
JOIN organizations_user u ON u.id = k.created_by_id
LEFT JOIN organizations_membership m
       ON m.user_id = k.created_by_id AND m.organization_id = k.organization_id
WHERE k.prefix = %s
"""
_USER_FIELDS = (
    "id",
    "last_login",
    "is_superuser",
    "email",
    "full_name",
    "is_staff",
    "is_active",
    "date_joined",
)


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
    as (c)'s lookup does (`CONN_HEALTH_CHECKS`' `SELECT 1` is not part of a floor). Not for
    use outside the bench.
    """

    def authenticate(self, request: Request) -> tuple[User, FloorKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        parsed = keys.parse(raw, conf.brand())
        if parsed is None:
            raise exceptions.AuthenticationFailed(FLOOR_REFUSED)
        database = connections[router.db_for_read(APIKey)]  # as (c)'s lookup picks it
        row = self.checked_fetch(database, parsed.prefix)
        if row is None or not keys.verify(raw, row[6], row[7], conf.pepper()):
            raise exceptions.AuthenticationFailed(FLOOR_REFUSED)
        status, expires_at = row[9], row[11]
        last_login, is_superuser, email, full_name, is_staff, is_active, joined, role = row[24:]
        if isinstance(expires_at, str):  # SQLite hands back text
            expires_at = parse_datetime(expires_at)
        expired = expires_at is not None and expires_at <= timezone.now()
        if status != "active" or expired or not is_active or (role is None and not is_staff):
            raise exceptions.AuthenticationFailed(FLOOR_REFUSED)
        user = User.from_db(
            database.alias,
            _USER_FIELDS,
            (row[2], last_login, is_superuser, email, full_name, is_staff, is_active, joined),
        )
        scopes = json.loads(row[8]) if isinstance(row[8], str) else row[8]
        return user, FloorKey(row, scopes, role or "admin")

    def checked_fetch(self, database: Any, prefix: str) -> tuple[Any, ...] | None:
        """Run the statement; like (c)'s lookup, let it be the connection's health check."""

        def read() -> tuple[Any, ...] | None:
            with database.cursor() as cursor:
                return self.fetch(cursor, prefix)

        return read_checking_connection(database, read)

    def fetch(self, cursor: Any, prefix: str) -> tuple[Any, ...] | None:
        cursor.execute(FLOOR_SQL, [prefix])
        return cursor.fetchone()


class PreparedFloorAuthentication(FloorAuthentication):
    """The floor with the statement prepared on the server once per connection (PostgreSQL).

    `APIKeyAuthentication` prepares its lookup on PostgreSQL; this is the hand-written
    equivalent, so the comparison with the floor is like for like.
    """

    _prepared: weakref.WeakSet[Any] = weakref.WeakSet()

    def fetch(self, cursor: Any, prefix: str) -> tuple[Any, ...] | None:
        raw_connection = cursor.db.connection
        if raw_connection not in self._prepared:
            cursor.execute("PREPARE bench_floor AS " + FLOOR_SQL.replace("%s", "$1"))
            self._prepared.add(raw_connection)
        cursor.execute("EXECUTE bench_floor(%s)", [prefix])
        return cursor.fetchone()


class Hello(APIView):
    """The downstream view: a fixed JSON body, so only the authentication differs."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class NoAuth(Hello):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


class Token(Hello):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = []


class KeyportalKey(Hello):
    """The product as shipped: the default throttles and last-used tracking on."""

    authentication_classes = [APIKeyAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [APIKeyRateThrottle, UserRateThrottle]


class KeyportalKeyNoThrottle(KeyportalKey):
    """The same without throttles: what the lookup alone costs, next to the floor."""

    throttle_classes = []


class DrfAPIKey(Hello):
    authentication_classes = []
    permission_classes = [HasAPIKey]
    throttle_classes = []


class Floor(Hello):
    authentication_classes = [FloorAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = []


class PreparedFloor(Hello):
    authentication_classes = [PreparedFloorAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = []
