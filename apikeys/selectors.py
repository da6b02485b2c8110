"""Reads of API keys and audit events, always scoped to what the caller may see."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import OuterRef, QuerySet, Subquery

from apikeys.models import APIKey, AuditEvent
from organizations.models import Membership, Organization, Role, User

# Selectors for lists ------------------------------------------------------------------


def api_keys_visible_to(user: User) -> QuerySet[APIKey]:
    """Keys in the organizations `user` belongs to (staff: every organization)."""
    qs = APIKey.objects.select_related("organization", "created_by")
    if user.is_staff:
        return qs
    return qs.filter(organization__memberships__user=user)


def api_keys_manageable_by(user: User) -> QuerySet[APIKey]:
    """Keys in the organizations where `user` is an owner or admin (staff: all)."""
    qs = APIKey.objects.select_related("organization", "created_by")
    if user.is_staff:
        return qs
    return qs.filter(
        organization__memberships__user=user,
        organization__memberships__role__in=[Role.OWNER, Role.ADMIN],
    )


def audit_events_for(organization_id: object) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(organization_id=organization_id).select_related(
        "api_key", "actor"
    )


# The authentication lookup --------------------------------------------------------------

_PREFIX_PLACEHOLDER = "\x00prefix\x00"
_KEY_FIELDS = tuple(f.attname for f in APIKey._meta.concrete_fields)
_ORG_FIELDS = tuple(f.attname for f in Organization._meta.concrete_fields)
# The user is built without its password hash: authentication never needs it.
_USER_FIELDS = tuple(
    f.attname for f in User._meta.concrete_fields if f.attname not in ("password",)
)


@dataclass(slots=True)
class AuthLookup:
    """A key row with its organization and creator attached, and the creator's role there."""

    key: APIKey
    membership_role: str | None


class _CompiledLookup:
    """One SQL statement, compiled from the ORM once per database alias.

    Every authenticated request runs this lookup, and compiling an ORM query costs several
    times more than running it (measured in benchmarks/). So the query is built with the
    ORM (it cannot drift from the models: columns, joins and quoting come from Django),
    compiled once, then run through a cursor; the rows pass through Django's own converters
    and are hydrated with `Model.from_db`, exactly as a queryset would.
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
                *(f"organization__{name}" for name in _ORG_FIELDS),
                *(f"created_by__{name}" for name in _USER_FIELDS),
                "_membership_role",
            )
        )
        self.alias = alias
        self.compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = self.compiler.as_sql()
        self.prefix_index = list(params).index(_PREFIX_PLACEHOLDER)
        self.params = list(params)

    def run(self, prefix: str) -> AuthLookup | None:
        params = list(self.params)
        params[self.prefix_index] = prefix
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        (row,) = self.compiler.results_iter(results=[rows])
        return self._hydrate(row)

    def _hydrate(self, row: tuple[Any, ...]) -> AuthLookup:
        nk, no = len(_KEY_FIELDS), len(_ORG_FIELDS)
        nu = len(_USER_FIELDS)
        key = APIKey.from_db(self.alias, _KEY_FIELDS, row[:nk])
        key.organization = Organization.from_db(self.alias, _ORG_FIELDS, row[nk : nk + no])
        key.created_by = User.from_db(self.alias, _USER_FIELDS, row[nk + no : nk + no + nu])
        return AuthLookup(key=key, membership_role=row[-1])


_compiled: dict[str, _CompiledLookup] = {}
_compile_lock = threading.Lock()


def api_key_for_authentication(prefix: str) -> AuthLookup | None:
    """Return the key with this display prefix, its organization, creator and role: one query."""
    alias = router.db_for_read(APIKey)
    lookup = _compiled.get(alias)
    if lookup is None:
        with _compile_lock:
            lookup = _compiled.setdefault(alias, _CompiledLookup(alias))
    return lookup.run(prefix)
