"""Shapes of credentials every app recognises without I/O."""

from __future__ import annotations


def looks_like_jwt(value: str) -> bool:
    """True when `value` has a JSON Web Token's shape: a JSON header (`eyJ`) and three
    dot-separated parts. API-key authentication refuses such a value as "not a key" and the
    access-token authentication claims it: one test, so every value gets one answer."""
    return value.startswith("eyJ") and value.count(".") == 2
