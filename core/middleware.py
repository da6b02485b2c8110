"""Middleware every page and API of the project runs behind."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

LENGTH_REQUIRED = (
    "Send the request body with a Content-Length header: chunked request bodies are not accepted."
)


class RequireContentLengthMiddleware:
    """Answer a chunked request body without `Content-Length` with 411 Length Required.

    Django reads a body by its `Content-Length`: without one it reads nothing, so a chunked
    POST would be handled as an empty one ("Give the key a name.") instead of being read.
    Refusing it says what to send; nothing is half-read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower() and not meta.get(
            "CONTENT_LENGTH"
        ):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": LENGTH_REQUIRED}, status=411)
            return HttpResponse(LENGTH_REQUIRED, status=411, content_type="text/plain")
        return self.get_response(request)


SERVICE_UNAVAILABLE = (
    "The database is not answering right now; nothing was changed. Try again shortly."
)
RETRY_AFTER_SECONDS = 30


class DatabaseOutageMiddleware:
    """Answer a request the database could not serve with 503 and `Retry-After`, not a 500.

    An outage, a restart, a statement or lock timeout, a lock SQLite could not get in time:
    the request's transaction was rolled back, so nothing changed and the client may simply
    try again. JSON under /api/, a plain page elsewhere. Real bugs stay 500s.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return outage_response(request, exception)


def outage_response(request: HttpRequest, exception: BaseException | None) -> HttpResponse | None:
    """The 503 for a request the database could not serve, or None for any other failure.

    Views' failures reach it through `DatabaseOutageMiddleware`; a middleware's own (the
    session or the user loaded before any view) through the 500 handler, which asks it too.
    """
    if not isinstance(exception, OperationalError | InterfaceError):
        return None
    logger.error("database unavailable: %s", exception.__class__.__name__, exc_info=exception)
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": SERVICE_UNAVAILABLE}, status=503)
    else:
        response = render(request, "503.html", {"message": SERVICE_UNAVAILABLE}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
