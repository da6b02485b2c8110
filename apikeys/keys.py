"""Key format, checksum and digests: pure functions, no ORM, no I/O.

A key reads `<brand>_<mode>_<body><checksum>`:

- `body` is 43 base62 characters encoding 32 bytes from `secrets` (256 bits);
- `checksum` is the CRC32 of everything before it, as 6 base62 characters. Like GitHub's
  tokens, a typo or a made-up string fails the checksum and is refused before any database
  or cache call, and secret scanners can confirm a match offline;
- the display prefix is `<brand>_<mode>_` plus the body's first 8 characters. It is stored,
  unique, and used to find the row; the remaining 35 body characters (about 208 bits) stay
  secret.

The row keeps an HMAC-SHA256 of the whole key under a server-side pepper, never the key.
A slow hash (Argon2, bcrypt) would add nothing here: the key is random with ~200 bits of
entropy, so guessing is hopeless either way, while a slow hash would cost tens of
milliseconds of CPU on every request and hand attackers a denial-of-service lever.

This is the only module that imports `hashlib` or `hmac`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib
from dataclasses import dataclass
from functools import lru_cache

from django.views.decorators.debug import sensitive_variables

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BODY_BYTES = 32
BODY_LENGTH = 43  # ceil(256 / log2(62))
CHECKSUM_LENGTH = 6  # 62**6 > 2**32
PREFIX_BODY_LENGTH = 8
MODES = ("live", "test")
MAX_KEY_LENGTH = 100

# The scheme that produced a stored digest. A new scheme gets a new number and an entry in
# `_DIGESTERS`; rows keep theirs, so changing the scheme never breaks an existing key.
HASH_VERSION = 1

_BRAND_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
_BASE62_RE = re.compile(r"^[0-9A-Za-z]+$")


@dataclass(frozen=True, slots=True)
class ParsedKey:
    """A key that passed the format and checksum checks (it may still be unknown)."""

    raw: str
    brand: str
    mode: str
    prefix: str


def base62(number: int, width: int) -> str:
    """Encode a non-negative integer as exactly `width` base62 characters."""
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(ALPHABET[digit])
    if number:
        raise ValueError("number does not fit in the width")
    return "".join(reversed(chars))


def checksum(text: str) -> str:
    """Return the 6-character base62 CRC32 of `text`."""
    return base62(zlib.crc32(text.encode("ascii")), CHECKSUM_LENGTH)


@sensitive_variables()
def generate(brand: str, mode: str) -> tuple[str, str]:
    """Return a new `(key, display_prefix)` pair."""
    if not _BRAND_RE.match(brand):
        raise ValueError("brand must be 1-16 lower-case letters or digits, starting with a letter")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    body = base62(int.from_bytes(secrets.token_bytes(BODY_BYTES), "big"), BODY_LENGTH)
    head = f"{brand}_{mode}_{body}"
    return head + checksum(head), f"{brand}_{mode}_{body[:PREFIX_BODY_LENGTH]}"


def parse(raw: str, brand: str) -> ParsedKey | None:
    """Return the parsed key, or None when `raw` is not a well-formed key of this brand.

    Runs in constant work for any input length and never raises, so callers can hand it
    any header value.
    """
    if not isinstance(raw, str) or len(raw) > MAX_KEY_LENGTH:
        return None
    parts = raw.split("_")
    if len(parts) != 3:
        return None
    key_brand, mode, tail = parts
    if key_brand != brand or mode not in MODES:
        return None
    if len(tail) != BODY_LENGTH + CHECKSUM_LENGTH or not _BASE62_RE.match(tail):
        return None
    head = raw[:-CHECKSUM_LENGTH]
    # The checksum is public (anyone can compute a CRC), so a plain comparison leaks nothing.
    if checksum(head) != tail[BODY_LENGTH:]:
        return None
    prefix = f"{brand}_{mode}_{tail[:PREFIX_BODY_LENGTH]}"
    return ParsedKey(raw=raw, brand=brand, mode=mode, prefix=prefix)


def mistyped(raw: str, brand: str) -> bool:
    """True when `raw` reads as a key of this brand that was mistyped or cut short.

    For the refusal's message only (a key that fails `parse`): the brand, mode and alphabet
    are right, but the length or the checksum is not.
    """
    if not isinstance(raw, str) or len(raw) > MAX_KEY_LENGTH:
        return False
    parts = raw.split("_")
    return (
        len(parts) == 3
        and parts[0] == brand
        and parts[1] in MODES
        and bool(_BASE62_RE.match(parts[2]))
        and parse(raw, brand) is None
    )


@lru_cache(maxsize=8)
def derive_pepper(secret_key: str) -> bytes:
    """Derive the HMAC pepper from SECRET_KEY when APIKEYS_PEPPER is not set.

    A labelled derivation keeps the pepper distinct from every other use of SECRET_KEY.
    """
    return hmac.new(secret_key.encode(), b"keyportal.apikeys.pepper.v1", hashlib.sha256).digest()


def _digest_v1(raw: str, pepper: bytes) -> str:
    return hmac.new(pepper, raw.encode("ascii"), hashlib.sha256).hexdigest()


_DIGESTERS = {1: _digest_v1}


def digest(raw: str, pepper: bytes, version: int | None = None) -> str:
    """Return the stored digest of `raw` under the scheme `version` (default: the current)."""
    return _DIGESTERS[HASH_VERSION if version is None else version](raw, pepper)


def verify(raw: str, stored: str, version: int, pepper: bytes) -> bool:
    """Compare `raw` against a stored digest in constant time."""
    digester = _DIGESTERS.get(version)
    if digester is None:
        return False
    return hmac.compare_digest(digester(raw, pepper), stored)


def verify_digest(raw: str, digest_now: str, stored: str, version: int, pepper: bytes) -> bool:
    """Like `verify`, reusing `digest_now` (the current scheme's digest of `raw`)."""
    if version != HASH_VERSION:
        return verify(raw, stored, version, pepper)
    return hmac.compare_digest(digest_now, stored)


def mask(raw: str) -> str:
    """Return a loggable form of anything that may be a key: its first 16 characters."""
    return raw[:16] + "…" if len(raw) > 16 else raw


@lru_cache(maxsize=8)
def _key_shaped(brand: str) -> re.Pattern[str]:
    tail = BODY_LENGTH + CHECKSUM_LENGTH
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(brand)}_(?:live|test)_[0-9A-Za-z]{{{tail}}}")


def find(text: str, brand: str) -> list[str]:
    """Return every genuine-looking key (brand and a valid checksum) in `text`."""
    if f"{brand}_" not in text:
        return []
    return [m.group(0) for m in _key_shaped(brand).finditer(text) if parse(m.group(0), brand)]


def redact(text: str, brand: str) -> str:
    """Return `text` with every genuine-looking key (brand and a valid checksum) masked.

    For logs, error reports and anything else that leaves the process: a key that reached
    a URL, a log line or a header dump keeps only its public prefix there.
    """
    if f"{brand}_" not in text:
        return text  # the common case, without a regular expression
    return _key_shaped(brand).sub(
        lambda m: mask(m.group(0)) if parse(m.group(0), brand) else m.group(0), text
    )
