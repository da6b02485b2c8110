"""Routing help every API of the project shares."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # the target view is a DRF view: SessionAuthentication enforces CSRF there
def without_trailing_slash(request: HttpRequest, rest: str) -> HttpResponse:
    """Serve `/api/auth/me` as `/api/auth/me/`.

    Integrations written against other portals' documentation call paths without the slash;
    Django's APPEND_SLASH would answer them with a redirect, which turns a POST into a GET.
    """
    try:
        match = resolve(f"{request.path_info}/")
    except Resolver404:
        return JsonResponse({"detail": "Not found."}, status=404)
    request.resolver_match = match
    return match.func(request, *match.args, **match.kwargs)
