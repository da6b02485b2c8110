"""Limit/offset pagination that refuses a malformed page request instead of guessing."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

MAX_LIMIT = 200

LIMIT_INVALID = f"Must be a whole number from 1 to {MAX_LIMIT}."
OFFSET_INVALID = "Must be a whole number, 0 or more."


def _whole_number(
    value: str, *, minimum: int, maximum: int | None, field: str, message: str
) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValidationError({field: [message]}) from None
    if number < minimum or (maximum is not None and number > maximum):
        raise ValidationError({field: [message]})
    return number


class Pagination(LimitOffsetPagination):
    """Page with `limit` (1 to 200, default 50) and `offset`; a bad value is a 400.

    DRF's own class silently falls back to defaults, so a client with a typo in `limit`
    would page through a different window than it asked for without noticing.
    """

    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        return _whole_number(
            raw,
            minimum=1,
            maximum=self.max_limit,
            field=self.limit_query_param,
            message=LIMIT_INVALID,
        )

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None:
            return 0
        return _whole_number(
            raw, minimum=0, maximum=None, field=self.offset_query_param, message=OFFSET_INVALID
        )

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Number of results per page (default {self.default_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": "Index of the first result to return.",
                "schema": {"type": "integer", "minimum": 0},
            },
        ]
