"""Give every request an id: the client's when it is sane, a fresh one otherwise."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# Echoed into a response header and stored on audit events, so only a safe alphabet passes:
# anything else could split headers or smuggle markup into logs.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


class RequestIDMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = offered if _SANE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response
