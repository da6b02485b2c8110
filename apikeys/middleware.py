"""Request ids for every request, and cache headers for every API answer."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from apikeys import conf

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


class CredentialedResponsesMiddleware:
    """Keep API answers out of shared caches, and say which headers they depend on.

    Every answer under /api/ depends on who asks (a key or a session), so a proxy or browser
    cache must neither store it (`Cache-Control: no-store`, unless the view said more) nor
    hand it to another caller: `Vary` names every header a key can come in, and `Cookie`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith("/api/"):
            if "Cache-Control" not in response:
                response["Cache-Control"] = "no-store"
            patch_vary_headers(response, (*conf.header_names(), "Cookie"))
        return response
