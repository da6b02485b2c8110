"""Leaked keys: GitHub's secret scanning reports and public leak reports.

GitHub scans public repositories (and npm packages, issues, gists...) for strings shaped
like our keys (brand prefix, 6-character checksum) and POSTs what it finds to
`/api/secret-scanning/github/`: a JSON array of `{"token", "type", "url", "source"}`,
signed with ECDSA (P-256, SHA-256) by a key GitHub publishes at
`SECRET_SCANNING_GITHUB_KEYS_URL`; the headers name the key
(`Github-Public-Key-Identifier`) and carry the base64 DER signature
(`Github-Public-Key-Signature`) over the exact body bytes. We answer with a label per token:
`true_positive` for a key we issued, `false_positive` for anything else.

Anyone else who finds a key reports it at `/api/leaked-keys/`. Either way a genuine key is
revoked through `api_key_report_leaked`, and neither answer tells the sender more than that
(never whether the key was still active).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables
from redis.exceptions import RedisError

from apikeys.lookup import issued_keys
from apikeys.services.leaked import REPORTER_GITHUB, REPORTER_PUBLIC, api_key_report_leaked
from core.audit import AuditContext
from core.clients import client_ip
from core.counters import CountersUnavailable, count_hits, warn_unavailable, window_counters

logger = logging.getLogger(__name__)

TRUE_POSITIVE = "true_positive"
FALSE_POSITIVE = "false_positive"

_KEYS_CACHE_KEY = "leaks:github-public-keys"
_FETCH_PAUSED_CACHE_KEY = "leaks:github-public-keys:paused"
# GitHub's key list is a few hundred bytes; anything past this is not it.
_MAX_KEYS_DOCUMENT = 64 * 1024


class PublicKeysUnavailable(Exception):
    """GitHub's public keys could not be fetched, and none are cached."""


@dataclass(frozen=True, slots=True)
class ReportedToken:
    """One token a report names, and where it was found (as the reporter says)."""

    token: str
    type: str = ""
    url: str = ""
    source: str = ""


# GitHub's public keys ------------------------------------------------------------------


def fetch_github_public_keys() -> dict[str, str]:
    """Fetch GitHub's secret scanning keys: `{key_identifier: PEM public key}`.

    Standard library only, with a short timeout: a report waits on it at most once an hour.
    Only http(s) URLs: a mistyped setting must not read a local file (`file://`).
    """
    url = settings.SECRET_SCANNING_GITHUB_KEYS_URL
    if not url.startswith(("https://", "http://")):
        raise PublicKeysUnavailable("SECRET_SCANNING_GITHUB_KEYS_URL must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, headers={"Accept": "application/json", "User-Agent": "Keyportal secret scanning"}
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.SECRET_SCANNING_GITHUB_FETCH_TIMEOUT
        ) as response:
            document = json.loads(response.read(_MAX_KEYS_DOCUMENT + 1)[:_MAX_KEYS_DOCUMENT])
    except (URLError, OSError, ValueError) as error:
        raise PublicKeysUnavailable(str(error)) from error
    try:
        found = {
            str(entry["key_identifier"]): str(entry["key"]) for entry in document["public_keys"]
        }
    except (KeyError, TypeError) as error:
        raise PublicKeysUnavailable("unexpected public keys document") from error
    if not found:
        raise PublicKeysUnavailable("the public keys document lists no key")
    return found


def _cache_get(name: str) -> Any:
    try:
        return cache.get(name)
    except (RedisError, OSError):
        return None  # as if nothing were cached: fetch


def _cache_call(method: str, *args: Any) -> bool:
    try:
        return bool(getattr(cache, method)(*args))
    except (RedisError, OSError):
        return True  # without a cache, nothing limits the fetches: do fetch


def github_public_key(identifier: str) -> str | None:
    """Return the PEM public key GitHub names `identifier`, or None when it has none.

    Cached for `SECRET_SCANNING_GITHUB_KEYS_CACHE_SECONDS`. An identifier the cached list
    lacks (GitHub rotated its key) refetches it, but only once per
    `SECRET_SCANNING_GITHUB_REFETCH_SECONDS`, and a failed fetch waits as long before the
    next: reports with made-up identifiers must not turn us into a stream of requests to
    GitHub. Raises PublicKeysUnavailable when the list is neither cached nor fetchable.
    """
    known = _cache_get(_KEYS_CACHE_KEY)
    if known is not None and identifier in known:
        return known[identifier]
    pause = settings.SECRET_SCANNING_GITHUB_REFETCH_SECONDS
    if known is None:
        may_fetch = _cache_get(_FETCH_PAUSED_CACHE_KEY) is None
    else:
        may_fetch = _cache_call("add", _FETCH_PAUSED_CACHE_KEY, 1, pause)
    if may_fetch:
        try:
            known = fetch_github_public_keys()
        except PublicKeysUnavailable as error:
            logger.warning("secret scanning: GitHub's public keys unavailable (%s)", error)
            _cache_call("set", _FETCH_PAUSED_CACHE_KEY, 1, pause)
        else:
            timeout = settings.SECRET_SCANNING_GITHUB_KEYS_CACHE_SECONDS
            _cache_call("set", _KEYS_CACHE_KEY, known, timeout)
    if known is None:
        raise PublicKeysUnavailable("no public keys cached or fetched")
    return known.get(identifier)


def github_signature_valid(body: bytes, identifier: str, signature: str) -> bool:
    """Whether `signature` (base64 DER ECDSA) signs the exact `body` bytes with SHA-256,
    under the public key GitHub publishes as `identifier`."""
    if not identifier or not signature:
        return False
    try:
        der = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    pem = github_public_key(identifier)
    if pem is None:
        return False
    try:
        public_key = load_pem_public_key(pem.encode())
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            return False
        public_key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


# Finding and revoking the keys a report names ------------------------------------------


@sensitive_variables()
@sensitive_variables()
def report_github(reported: list[ReportedToken], *, context: AuditContext) -> list[dict[str, str]]:
    """Revoke the genuine keys of a verified GitHub report; return GitHub's labels.

    One label per reported token, in order. A genuine key is `true_positive` whether or not
    it was already revoked: a replayed report gets the same answer, and revokes and mails
    nothing twice (`api_key_report_leaked`).
    """
    genuine = issued_keys(entry.token for entry in reported)
    done: set[str] = set()
    for entry in reported:
        key = genuine.get(entry.token)
        if key is not None and entry.token not in done:
            done.add(entry.token)
            api_key_report_leaked(
                key=key,
                source=entry.source,
                url=entry.url,
                reporter=REPORTER_GITHUB,
                context=context,
            )
    return [
        {
            "token_raw": entry.token,
            "token_type": entry.type,
            "label": TRUE_POSITIVE if entry.token in genuine else FALSE_POSITIVE,
        }
        for entry in reported
    ]


@sensitive_variables()
def report_public(token: str, *, url: str, source: str, context: AuditContext) -> None:
    """Revoke `token` if it is a key we issued; say nothing either way."""
    key = issued_keys([token]).get(token)
    if key is not None:
        api_key_report_leaked(
            key=key, source=source, url=url, reporter=REPORTER_PUBLIC, context=context
        )


def public_report_throttled(request: HttpRequest) -> float | None:
    """Count a public leak report; return the seconds left in the hour when over the limit.

    Per client IP: a report costs an indexed lookup, and a genuine one a revocation and
    emails. Through a cache outage reports still go through: revoking a leaked key matters
    more than counting.
    """
    window = 3600
    now = time.time()
    counters = window_counters("leak-report-ip", client_ip(request) or "", now, (window,))
    try:
        (count,) = count_hits(counters)
    except CountersUnavailable as error:
        warn_unavailable(error, "leak report throttling")
        return None
    if count > settings.LEAK_REPORTS_PER_IP_PER_HOUR:
        return window - now % window
    return None
