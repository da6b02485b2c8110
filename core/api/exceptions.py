"""One error shape under /api/: `{"detail": "..."}` (plus a field map for validation)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.errors import DomainError

INVALID_INPUT = "Invalid input."


def _first_message(errors: Any) -> str | None:
    """Return the first message in DRF's nested error structure (lists and dicts of lists)."""
    if isinstance(errors, dict):
        errors = list(errors.values())
    if isinstance(errors, list):
        for item in errors:
            found = _first_message(item)
            if found:
                return found
        return None
    return str(errors)


def summarise(errors: dict[str, Any]) -> str:
    """Return a one-line `detail` for a field map, naming the first invalid field."""
    for field, messages in errors.items():
        message = _first_message(messages)
        if message:
            return message if field == "non_field_errors" else f"{field}: {message}"
    return INVALID_INPUT


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain errors to their status; DRF's handler does the rest."""
    if isinstance(exc, DomainError):
        set_rollback()
        data: dict[str, Any] = {"detail": exc.message}
        if exc.field and exc.status_code == status.HTTP_400_BAD_REQUEST:
            data[exc.field] = [exc.message]
        return Response(data, status=exc.status_code)
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError({"detail": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, dict) and "detail" not in response.data:
        # Field errors keep DRF's map and gain a summary, so every error has `detail`.
        response.data = {"detail": summarise(response.data), **response.data}
    elif isinstance(response.data, dict) and isinstance(response.data["detail"], list):
        response.data["detail"] = " ".join(str(m) for m in response.data["detail"])
    elif isinstance(response.data, list):
        response.data = {"detail": " ".join(str(m) for m in response.data)}
    return response
