"""Keep stored secrets out of every admin query and page: a digest must not become an oracle.

`hashed_key` (an API key's HMAC digest), `password` (a user's password hash) and
`token_hash` (an invitation link's digest) are stored secrets. The admin turns query-string
parameters into ORM lookups, so without this mixin `?hashed_key__startswith=ab` filters the
key list and staff recover a digest a character at a time by watching which rows remain
(`?password__startswith=` does the same for users).
Searching, sorting or filtering by a secret leaks it the same way, through any relation
(`api_key__hashed_key`, `created_by__password`), so none of them may name one.
"""

from __future__ import annotations

from typing import Any

from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

SECRET_FIELDS = frozenset({"hashed_key", "password", "token_hash"})


def _path_of(item: Any) -> str | None:
    """Return the field path an admin option names, or None when it names no field."""
    if isinstance(item, list | tuple):  # list_filter's ("field", FilterClass)
        item = item[0] if item else None
    item = getattr(item, "expression", item)  # F("field").desc() is OrderBy(F("field"))
    item = getattr(item, "name", item)  # F("field")
    return item if isinstance(item, str) else None


def touches_secret(item: Any) -> bool:
    """Return whether a lookup, search field, ordering or column reaches a secret field.

    Search fields may start with ^, = or @ and orderings with -; every `__` part counts,
    so a secret is refused at the end of any chain of relations too.
    """
    path = _path_of(item)
    if path is None:
        return False
    return any(part in SECRET_FIELDS for part in path.lstrip("-^=@").split(LOOKUP_SEP))


def _without_secrets(items: Any) -> list[Any]:
    return [item for item in items or () if not touches_secret(item)]


class HidesSecretFields:
    """Refuse admin lookups through secret fields and keep them out of searches and columns.

    Put it first among a ModelAdmin's (or inline's) bases, so its checks run before Django's.
    """

    SECRET_FIELDS = SECRET_FIELDS

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Refused even where Django would allow it (a local field, a list_filter path or a
        # limit_choices_to popup): the changelist then answers 400, and no row is filtered.
        if any(part in self.SECRET_FIELDS for part in lookup.split(LOOKUP_SEP)):
            return False
        return super().lookup_allowed(lookup, value, request)

    def to_field_allowed(self, request: HttpRequest, to_field: str) -> bool:
        # A popup's `_to_field` is the value each row hands back, printed in the page.
        if to_field in self.SECRET_FIELDS:
            return False
        return super().to_field_allowed(request, to_field)

    def get_search_fields(self, request: HttpRequest) -> list[Any]:
        return _without_secrets(super().get_search_fields(request))

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return _without_secrets(super().get_ordering(request))

    def get_sortable_by(self, request: HttpRequest) -> list[Any]:
        return _without_secrets(super().get_sortable_by(request))

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return _without_secrets(super().get_list_filter(request))

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return _without_secrets(super().get_list_display(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # A read-only field is printed verbatim. (The user form's `password` is Django's
        # masked summary widget, not a read-only field, and stays.)
        return _without_secrets(super().get_readonly_fields(request, obj))
