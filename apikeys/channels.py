"""Authenticate Django Channels WebSocket connections as `APIKeyAuthentication` does HTTP.

Wrap a WebSocket application in `APIKeyWebSocketMiddleware` (see `portal/asgi.py`); each
connection then carries `scope["user"]`, `scope["auth"]` (the `APIKey`, or None for a
person) and `scope["auth_method"]`. The credential, first found first used:

- a key in a header (`Authorization: Bearer`, `X-API-Key`, `Api-Key`): server clients;
- `?ticket=`: a single-use ticket from `POST /api/ws-tickets/` (`apikeys.ws_tickets`),
  what browsers use, since they cannot set headers on a socket;
- `?token=` with a short-lived access token (`APIKEYS_WS_ACCESS_TOKEN_AUTHENTICATION`, the
  project's JWT authentication), or in `Authorization: Bearer`;
- a raw API key anywhere in the URL is refused, since URLs end up in proxy logs, unless the
  operator sets `APIKEYS_WS_ALLOW_KEY_IN_URL` (keys are masked in every log the project
  writes, but a proxy's own log is out of its reach).

The same lookup, rules and rate limits as HTTP: one query for a key, its status, expiry,
creator and membership checked, each connection counted against the key's windows. A
refused connection is accepted only to be told why (`{"type": "error", "detail": ...}`)
and closed with 4401 (no valid credential), 4403 or 4429 (over a rate limit). Nothing is
cached: every `APIKEYS_WS_RECHECK_SECONDS` the credential is checked again, and a revoked
or paused key's, or a deactivated user's, socket is closed with 4401.

Origins are not checked: none of these credentials is ambient (a cookie a browser would
send on another site's behalf), so a page elsewhere cannot open a socket as anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework import exceptions

from apikeys import conf, keys
from apikeys.authentication import KEY_IN_URL, APIKeyAuthentication, mark_exposed
from apikeys.lookup import api_key_for_authentication
from apikeys.models import APIKey
from apikeys.throttling import APIKeyRateThrottle
from apikeys.ws_tickets import ticket_redeem
from core.audit import AuditContext
from core.credentials import looks_like_jwt
from organizations.models import User

logger = logging.getLogger(__name__)

NO_CREDENTIALS = (
    "Authenticate the socket with a key in a header, ?ticket= (POST /api/ws-tickets/) "
    "or ?token= with an access token."
)
TICKET_INVALID = "This ticket is unknown, used or expired: mint a new one."
CREDENTIAL_ENDED = "The credential this socket was opened with is no longer valid."
RATE_LIMITED = "Rate limit exceeded: retry in {seconds} seconds."

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_RATE_LIMITED = 4429


class Refused(Exception):
    """A connection refused before or after it was accepted, with its close code."""

    def __init__(self, detail: str, code: int = CLOSE_UNAUTHENTICATED) -> None:
        super().__init__(detail)
        self.detail, self.code = detail, code


@dataclass(slots=True)
class Identity:
    user: User
    key: APIKey | None
    method: str  # "api_key", "ticket" or "jwt"


class _HeaderRequest:
    """Enough of a request for the DRF authenticators: `META` built from the ASGI headers."""

    def __init__(self, headers: list[tuple[bytes, bytes]], authorization: str | None = None):
        self.META: dict[str, str] = {}
        for name, value in headers:
            meta_name = "HTTP_" + name.decode("latin1").upper().replace("-", "_")
            self.META[meta_name] = value.decode("latin1")
        if authorization is not None:
            self.META["HTTP_AUTHORIZATION"] = authorization
        self.auth: APIKey | None = None


def _refusal(error: exceptions.APIException) -> Refused:
    code = CLOSE_FORBIDDEN if isinstance(error, exceptions.PermissionDenied) else None
    return Refused(str(error.detail), code or CLOSE_UNAUTHENTICATED)


def authenticate_key(raw: str) -> Identity:
    """Check a key as HTTP does (lookup, rules) and count the connection in its windows."""
    try:
        user, key = APIKeyAuthentication().authenticate_key(raw)
    except exceptions.APIException as error:
        raise _refusal(error) from None
    count_connection(key)
    return Identity(user=user, key=key, method="api_key")


def count_connection(key: APIKey) -> None:
    """Count one connection against the key's rate-limit windows, as one request."""
    request = _HeaderRequest([])
    request.auth = key
    throttle = APIKeyRateThrottle()
    if not throttle.allow_request(request, view=None):  # type: ignore[arg-type]
        raise Refused(RATE_LIMITED.format(seconds=throttle.wait()), CLOSE_RATE_LIMITED)


def authenticate_access_token(token: str) -> Identity | None:
    """Authenticate a short-lived access token; None when no token authentication is set."""
    path = settings.APIKEYS_WS_ACCESS_TOKEN_AUTHENTICATION
    if not path:
        return None
    request = _HeaderRequest([], authorization=f"Bearer {token}")
    try:
        found = import_string(path)().authenticate(request)
    except exceptions.APIException as error:
        raise _refusal(error) from None
    if found is None:
        return None
    return Identity(user=found[0], key=None, method="jwt")


def redeem_ticket(ticket: str) -> Identity:
    """Use up a ticket, checking again the credential it was minted with."""
    redeemed = ticket_redeem(ticket)
    if redeemed is None:
        raise Refused(TICKET_INVALID)
    if redeemed.key_prefix is not None:
        user, key = accept_issued_key(redeemed.key_prefix)
        count_connection(key)
        return Identity(user=user, key=key, method="ticket")
    user = User.objects.filter(pk=redeemed.user_id, is_active=True).first()
    if user is None:
        raise Refused(CREDENTIAL_ENDED)
    return Identity(user=user, key=None, method="ticket")


def accept_issued_key(prefix: str) -> tuple[User, APIKey]:
    """Apply the key rules to a key whose holder was proven earlier (a ticket, an open socket)."""
    found = api_key_for_authentication(prefix)
    if found is None:
        raise Refused(CREDENTIAL_ENDED)
    try:
        return APIKeyAuthentication().accept(found)
    except exceptions.APIException as error:
        raise _refusal(error) from None


def authenticate_scope(scope: dict[str, Any]) -> Identity:
    """Find and check the connection's credential (see the module's docstring for the order)."""
    query = scope.get("query_string", b"").decode("latin1")
    params = {name: values[-1] for name, values in parse_qs(query).items()}
    brand = conf.brand()
    in_url = keys.find(unquote_plus(query), brand)
    if in_url and not settings.APIKEYS_WS_ALLOW_KEY_IN_URL:
        client = scope.get("client") or (None, None)
        mark_exposed(in_url, path=scope.get("path", ""), context=AuditContext(ip=client[0]))
        raise Refused(KEY_IN_URL)
    # Allowed by the operator: a whole parameter value may authenticate.
    url_key = next((v for v in params.values() if keys.parse(v, brand) is not None), "")

    request = _HeaderRequest(scope.get("headers", []))
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    bearer = authorization.partition(" ")[2].strip()
    if looks_like_jwt(bearer):
        identity = authenticate_access_token(bearer)
        if identity is not None:
            return identity
    try:
        raw_keys = APIKeyAuthentication().get_raw_keys(request)  # type: ignore[arg-type]
    except exceptions.APIException as error:
        raise _refusal(error) from None
    if len(raw_keys) > 1:
        raise Refused("Send one API key per socket.")
    if raw_keys:
        return authenticate_key(raw_keys.pop())
    if "ticket" in params:
        return redeem_ticket(params["ticket"])
    token = params.get("token", "")
    if looks_like_jwt(token):
        identity = authenticate_access_token(token)
        if identity is not None:
            return identity
    if url_key:
        return authenticate_key(url_key)
    raise Refused(NO_CREDENTIALS)


def still_valid(identity: Identity) -> bool:
    """Check the socket's credential again: the key's rules, or an active user."""
    try:
        if identity.key is not None:
            identity.user, identity.key = accept_issued_key(identity.key.prefix)
            return True
    except Refused:
        return False
    return User.objects.filter(pk=identity.user.pk, is_active=True).exists()


async def refuse(send: Any, refusal: Refused) -> None:
    """Accept only to say why, then close with the refusal's code."""
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": _error_text(refusal.detail)})
    await send({"type": "websocket.close", "code": refusal.code})


def _error_text(detail: str) -> str:
    return json.dumps({"type": "error", "detail": detail})


class APIKeyWebSocketMiddleware(BaseMiddleware):
    """Authenticate every WebSocket connection, and close it once its credential ends."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        connect = await receive()  # the handshake: refusing means answering it
        try:
            identity = await database_sync_to_async(authenticate_scope)(scope)
        except Refused as refusal:
            await refuse(send, refusal)
            return None
        scope = dict(scope, user=identity.user, auth=identity.key, auth_method=identity.method)
        return await self._watched(scope, connect, receive, send, identity)

    async def _watched(
        self, scope: dict[str, Any], connect: Any, receive: Any, send: Any, identity: Identity
    ) -> Any:
        """Run the application; check the credential every few seconds, closing it when ended."""
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait(connect)

        async def pump() -> None:
            while True:
                message = await receive()
                await inbox.put(message)
                if message["type"] == "websocket.disconnect":
                    return

        async def watch() -> None:
            check = database_sync_to_async(still_valid)
            while True:
                await asyncio.sleep(settings.APIKEYS_WS_RECHECK_SECONDS)
                if not await check(identity):
                    await send({"type": "websocket.send", "text": _error_text(CREDENTIAL_ENDED)})
                    await send({"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED})
                    await inbox.put({"type": "websocket.disconnect", "code": 4401})
                    return
                scope["user"], scope["auth"] = identity.user, identity.key

        tasks = [asyncio.create_task(pump()), asyncio.create_task(watch())]
        try:
            return await self.inner(scope, inbox.get, send)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
