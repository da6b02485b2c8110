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
    return dict(settings.APIKEYS_SCOPES)


def header_names() -> tuple[str, ...]:
    return tuple(settings.APIKEYS_HEADERS)
