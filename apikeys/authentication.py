"""`APIKeyAuthentication`: accept organization API keys on any DRF endpoint.

Contract for downstream views:

- The key is read from `Authorization: Bearer <key>`, `X-API-Key: <key>` or
  `Api-Key: <key>` (the list is `APIKEYS_HEADERS`). The same key in several headers is fine;
  two different keys are a 400, never a guess. A key in the query string is a 400: keys do
  not belong in URLs, which end up in logs and browser history.
- On success `request.user` is the key's creator (the user the key acts as) and
  `request.auth` the `APIKey`, with `.organization`, `.created_by` and `.role` loaded.
- Failures are 401s with `WWW-Authenticate: Bearer realm="api"` and a specific message:
  a mistyped or cut-short key, a key sent under another scheme (`Token`, `Api-Key` or none
  in `Authorization`), or an access token where a key is wanted each say how to fix it.
  A malformed key or a bad checksum fails before any database or cache call.
- A valid key costs one SQL query, plus one UPDATE of `last_used_at` (with the client's
  address and user agent) and one upsert of its usage counts at most once per
  `APIKEYS_LAST_USED_INTERVAL` seconds per key (`apikeys.usage`).
- Nothing is cached between requests, so a revoke, pause, member removal or user
  deactivation takes effect on the very next request.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol
from urllib.parse import unquote_plus

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from apikeys import conf, keys, usage
from apikeys.lookup import AuthLookup, api_key_for_authentication
from apikeys.models import APIKey, EffectiveStatus
from apikeys.services.exposed import api_keys_mark_exposed
from core.audit import AuditContext
from core.clients import client_ip
from core.credentials import looks_like_jwt
from organizations.models import User
from organizations.permissions import resolve_role

logger = logging.getLogger(__name__)

INVALID_KEY = "Invalid API key"
KEY_MISTYPED = (
    "Invalid API key: its checksum does not match, so it was mistyped or cut short. "
    "Copy the whole key again."
)
KEY_NEEDS_BEARER = (
    "Send the API key as 'Authorization: Bearer <key>', or in the X-API-Key or Api-Key header."
)
# A message, not a secret (S105 reads "TOKEN" in the name).
ACCESS_TOKEN_NOT_ACCEPTED = (
    "This endpoint takes an API key, not an access token: send a key as "  # noqa: S105
    "'Authorization: Bearer <key>', or in the X-API-Key or Api-Key header."
)
KEY_REVOKED = "API key revoked"
KEY_PAUSED = "API key paused"
KEY_EXPIRED = "API key expired"
CREATOR_NOT_MEMBER = "API key's user is no longer a member of this organization"
CREATOR_INACTIVE = "API key's user is deactivated"
CONFLICTING_KEYS = "Send one API key per request; this request carries different keys."
KEY_IN_URL = "API keys must be sent in a header, never in the URL."


_STATUS_FAILURES = {
    EffectiveStatus.REVOKED: KEY_REVOKED,
    EffectiveStatus.EXPIRED: KEY_EXPIRED,
    EffectiveStatus.PAUSED: KEY_PAUSED,
}


class UnknownKey(exceptions.AuthenticationFailed):
    """No issued key matches: a guess, a typo, or a key from somewhere else.

    A type of its own, so that what follows a failure (a refused genuine key still counts
    against its rate limit; an unknown one leaves nothing behind) never hangs on a message.
    """

    default_detail = INVALID_KEY


class KeyRefused(exceptions.AuthenticationFailed):
    """An issued key, proven by its holder, refused by the rules (status, expiry, creator).

    It carries the key, so that its refused requests are counted against it
    (`DuringLookup.finish`); the response says only the message.
    """

    def __init__(self, detail: str, key: APIKey) -> None:
        super().__init__(detail)
        self.key = key


class DuringLookup(Protocol):
    """Work started before a key's database lookup that overlaps it (the Redis count)."""

    def finish(self, *, genuine: bool, refused: APIKey | None = None) -> None:
        """Complete the work once the lookup is done.

        `genuine` says an issued key was presented, even if it was refused (revoked,
        paused, expired): only then may the work leave state behind. `refused` is that key
        when the rules refused it.
        """


def mark_exposed(in_url: list[str], *, path: str, context: AuditContext) -> None:
    """Record the genuine keys among those a refused URL carried: owners are told (and, if
    the operator says so, the key is revoked), since URLs end up in logs others read. HTTP
    and sockets alike."""
    try:
        api_keys_mark_exposed(in_url, path=path, context=context)
    except DatabaseError as error:
        # The refusal is what protects the caller; it must not wait on the database.
        logger.warning("a key sent in a URL could not be marked exposed: %s", error)


@lru_cache(maxsize=8)
def _meta_names(headers: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    """`(request.META name, is Authorization)` per header name, worked out once per list."""
    return tuple(
        ("HTTP_" + header.upper().replace("-", "_"), header.lower() == "authorization")
        for header in headers
    )


class APIKeyAuthentication(BaseAuthentication):
    """Authenticate a request by an organization API key.

    Override points: `get_raw_keys(request)` to read keys from elsewhere,
    `start_during_lookup(request, digest)` to overlap other I/O with the key's lookup, and
    `record_use(key, now, request)` to change how use is tracked.
    """

    www_authenticate_realm = "api"
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, APIKey] | None:
        in_url = self.keys_in_url(request)
        if in_url:
            self.mark_exposed(request, in_url)
            raise exceptions.ParseError(KEY_IN_URL)
        raw_keys = self.get_raw_keys(request)
        if not raw_keys:
            return None
        if len(raw_keys) > 1:
            raise exceptions.ParseError(CONFLICTING_KEYS)
        return self.authenticate_key(raw_keys.pop(), request)

    def get_raw_keys(self, request: Request) -> set[str]:
        """Return the distinct key values the request carries in the configured headers."""
        found: set[str] = set()
        meta = request.META
        for meta_name, is_authorization in _meta_names(conf.header_names()):
            value = meta.get(meta_name)
            if value is None:
                continue
            if is_authorization:
                scheme, _, credentials = value.strip().partition(" ")
                if scheme.lower() != self.keyword.lower():
                    # Basic, Token, ...: another authenticator's business, unless what
                    # follows (or the whole value, with no scheme) is one of our keys.
                    if (credentials or scheme).strip().startswith(conf.brand() + "_"):
                        raise exceptions.AuthenticationFailed(KEY_NEEDS_BEARER)
                    continue
                value = credentials
            found.add(value.strip())
        return found

    def keys_in_url(self, request: Request) -> list[str]:
        """The well-formed keys anywhere in the query string: refused, since URLs get logged.
        As a value (`?api_key=<key>`), a bare name (`?<key>`) or after a scheme
        (`?x=Bearer <key>`)."""
        query = request.META.get("QUERY_STRING")
        if not query:
            return []  # the common case, without parsing a query string nobody sent
        return keys.find(unquote_plus(query), conf.brand())

    def mark_exposed(self, request: Request, in_url: list[str]) -> None:
        """Record the genuine keys among those a refused URL carried (`mark_exposed`)."""
        mark_exposed(in_url, path=request.path, context=AuditContext.from_request(request))

    def authenticate_key(self, raw: str, request: Request | None = None) -> tuple[User, APIKey]:
        """Authenticate one key; with `request`, its rate counting overlaps the lookup."""
        parsed = keys.parse(raw, conf.brand())
        if parsed is None:
            raise exceptions.AuthenticationFailed(self.why_malformed(raw))
        pepper = conf.pepper()
        digest = keys.digest(raw, pepper)
        during = None if request is None else self.start_during_lookup(request, digest)
        now = timezone.now()
        try:
            user, key = self._check(raw, digest, parsed.prefix, pepper, now)
        except UnknownKey:
            if during is not None:
                during.finish(genuine=False)
            raise
        except KeyRefused as refusal:
            if during is not None:  # revoked, paused, expired: still that key's
                during.finish(genuine=True, refused=refusal.key)
            raise
        except BaseException:
            if during is not None:
                during.finish(genuine=False)
            raise
        if during is not None:
            during.finish(genuine=True)
        # After the count is in: the request that stores the key's usage includes itself.
        self.record_use(key, now, request)
        return user, key

    def why_malformed(self, raw: str) -> str:
        """Say why a value that is not a well-formed key was refused, and how to fix it."""
        if looks_like_jwt(raw):
            return ACCESS_TOKEN_NOT_ACCEPTED
        if keys.mistyped(raw, conf.brand()):
            return KEY_MISTYPED
        return INVALID_KEY

    def start_during_lookup(self, request: Request, digest: str) -> DuringLookup | None:
        """Start what should overlap the key's database lookup, or return None.

        The view's throttles take part by defining a `start_during_lookup(request, digest)`
        classmethod (as `apikeys.throttling.APIKeyRateThrottle` does, to send its Redis
        count before the lookup and read the reply after it); the first one that defines it
        is used. Authentication imports no throttle: this hook is the whole contract.
        """
        view = (getattr(request, "parser_context", None) or {}).get("view")
        for throttle in getattr(view, "throttle_classes", ()):
            start = getattr(throttle, "start_during_lookup", None)
            if start is not None:
                return start(request, digest)
        return None

    def _check(
        self, raw: str, digest: str, prefix: str, pepper: bytes, now: datetime
    ) -> tuple[User, APIKey]:
        found = api_key_for_authentication(prefix)
        if found is None or not keys.verify_digest(
            raw, digest, found.key.hashed_key, found.key.hash_version, pepper
        ):
            logger.info("API key refused: unknown key with prefix %s", prefix)
            raise UnknownKey
        return self.apply_rules(found, now)

    def accept(self, found: AuthLookup, request: Request | None = None) -> tuple[User, APIKey]:
        """Apply the rules to an issued key whose holder was proven (`apply_rules`) and
        record the use; return `(user, key)`."""
        now = timezone.now()
        user, key = self.apply_rules(found, now)
        self.record_use(key, now, request)
        return user, key

    def apply_rules(self, found: AuthLookup, now: datetime) -> tuple[User, APIKey]:
        """Check an issued key whose holder was proven: its status and expiry, an active
        creator who is still a member; set `key.role` and return `(user, key)`."""
        key = found.key
        failure = _STATUS_FAILURES.get(key.effective_status(now))
        if failure:
            raise KeyRefused(failure, key)
        user = key.created_by
        if not user.is_active:
            raise KeyRefused(CREATOR_INACTIVE, key)
        role = resolve_role(user, found.membership_role)
        if role is None:
            raise KeyRefused(CREATOR_NOT_MEMBER, key)
        key.role = role
        return user, key

    def record_use(self, key: APIKey, now: datetime, request: Request | None = None) -> None:
        """Write `last_used_at` (and where from) at most once per interval, and with it the
        key's usage counts: reads stay free of writes in between."""
        interval = timedelta(seconds=settings.APIKEYS_LAST_USED_INTERVAL)
        if key.last_used_at is not None and now - key.last_used_at < interval:
            return
        seen = {"last_used_at": now}
        if request is not None:
            seen["last_used_ip"] = client_ip(request)
            seen["last_used_user_agent"] = request.META.get("HTTP_USER_AGENT", "")[:200]
        # The condition keeps concurrent requests (other processes) from writing it twice,
        # and elects the one request per interval that stores the usage counts.
        written = APIKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - interval), pk=key.pk
        ).update(**seen)
        key.__dict__.update(seen)
        if written:
            usage.flush_quietly(key, now)

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="{self.www_authenticate_realm}"'
