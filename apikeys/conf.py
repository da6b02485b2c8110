"""Read the API-key settings in one place (they may change under `override_settings`)."""

from __future__ import annotations

from django.conf import settings

from apikeys import keys


def brand() -> str:
    return settings.APIKEYS_BRAND


def pepper() -> bytes:
    if settings.APIKEYS_PEPPER:
        return settings.APIKEYS_PEPPER.encode()
    return keys.derive_pepper(settings.SECRET_KEY)


def scope_registry() -> dict[str, str]:
    """Each scope's name and what it lets a key do, from `APIKEYS_SCOPES`."""
    return {name: entry["description"] for name, entry in settings.APIKEYS_SCOPES.items()}


ADMIN_SCOPE_NOTE = "Works only while the key's creator is an owner or admin."


def scope_roles() -> dict[str, str]:
    """Each scope's name and the lowest role that may hold it, from `APIKEYS_SCOPES`."""
    return {name: entry["role"] for name, entry in settings.APIKEYS_SCOPES.items()}


def scope_help(name: str) -> str:
    """Say in plain words what a scope lets a key do, and whose keys keep it."""
    text = scope_registry()[name]
    if scope_roles()[name] == "member":
        return text
    return f"{text} {ADMIN_SCOPE_NOTE}"


def header_names() -> tuple[str, ...]:
    return tuple(settings.APIKEYS_HEADERS)
