"""Invitation link tokens: made here, and only their digest is ever stored.

`apikeys.keys` is the one module that hashes API keys; this is the one that hashes
invitation tokens. Why a plain SHA-256 (no pepper, no slow hash): a token is 256 random bits
from `secrets`, used once and dead after `INVITATION_DAYS`. Nobody can guess a preimage of
such a digest, so stretching adds nothing, and a leaked table of digests lets no one accept
an invitation: acceptance needs the token itself, which only the invitee's email holds.
"""

from __future__ import annotations

import hashlib
import re
import secrets

# 32 random bytes, URL-safe base64 without padding: 43 characters of [A-Za-z0-9_-].
TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """Return a fresh invitation token (shown only in the email's link)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """Return the stored form of `token`: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: object) -> bool:
    """Tell whether `token` has a token's shape (no I/O for anything else)."""
    return isinstance(token, str) and TOKEN_PATTERN.fullmatch(token) is not None
