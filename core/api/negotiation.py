"""Content negotiation under /api/: JSON only, and a clear 400 for any other `?format=`."""

from __future__ import annotations

from collections.abc import Sequence

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

FORMAT_UNSUPPORTED = "The API answers in JSON only: send format=json, or no format at all."


class JSONContentNegotiation(DefaultContentNegotiation):
    """Negotiate as DRF does, but refuse a `?format=` the API cannot answer in with a 400.

    DRF answers an unknown format with a bare 404 "Not found.", which reads as a wrong URL
    and is a status the list operations do not document.
    """

    def filter_renderers(
        self, renderers: Sequence[BaseRenderer], format: str
    ) -> list[BaseRenderer]:
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            raise ValidationError({"format": [FORMAT_UNSUPPORTED]})
        return matching
