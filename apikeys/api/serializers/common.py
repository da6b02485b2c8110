"""Fields shared by the key API's serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.api.serializers import StrictCharField


class ScopesField(serializers.ListField):
    """A list of scope names; the OpenAPI schema lists the registry (see apikeys.schema)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", StrictCharField(max_length=100))
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)
