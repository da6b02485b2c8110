"""One error shape under /api/: `{"detail": "..."}` (plus a field map for validation)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from organizations.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain errors to their status; DRF's handler does the rest."""
    if isinstance(exc, DomainError):
        data: dict[str, Any] = {"detail": exc.message}
        if exc.field and exc.status_code == status.HTTP_400_BAD_REQUEST:
            data[exc.field] = [exc.message]
        return Response(data, status=exc.status_code)
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError({"detail": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        # Field errors keep DRF's map and gain a summary, so every error has `detail`.
        response.data = {"detail": "Invalid input.", **response.data}
    elif response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(str(m) for m in response.data)}
    return response
