"""OpenAPI helpers: the one error shape and the error responses each operation documents."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error under /api/: `detail`, plus one list of messages per invalid field."""

    detail = serializers.CharField(help_text="What went wrong, in one sentence.")


_DESCRIPTIONS = {
    400: "Invalid input: `detail` summarises it and each invalid field maps to its messages.",
    401: "No credentials, or an invalid, revoked, paused or expired API key.",
    403: "The caller's role or the key's scopes or organization do not allow this.",
    404: "No such object among those the caller may see.",
    409: "The object's current state does not allow this transition.",
    415: "The request body is not JSON.",
    429: "Rate limited: retry after the number of seconds in `Retry-After`.",
}

READ = (400, 401, 403, 429)
READ_ONE = (400, 401, 403, 404, 429)
WRITE = (400, 401, 403, 404, 409, 415, 429)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Return the documented error responses for `codes`."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_DESCRIPTIONS[code])
        for code in codes
    }


def responses(success: dict[int, Any], codes: tuple[int, ...]) -> dict[int, Any]:
    """Return `success` responses together with the error responses for `codes`."""
    return {**success, **errors(*codes)}


REQUEST_ID_HEADER = OpenApiParameter(
    name="X-Request-ID",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=True,
    required=True,
    description="The request's id: the client's X-Request-ID when it was sane, else a new one. "
    "It is stored on the audit events the request causes.",
)

NO_STORE_HEADER = OpenApiParameter(
    name="Cache-Control",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[201],
    required=True,
    description="`no-store`: this response carries a plaintext key.",
)


def operation(*, parameters: list[Any] | None = None, **kwargs: Any) -> Any:
    """Document an API operation (`extend_schema`), including the X-Request-ID header."""
    return extend_schema(parameters=[*(parameters or []), REQUEST_ID_HEADER], **kwargs)
