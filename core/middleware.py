"""Middleware every page and API of the project runs behind."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

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
