"""Routing help every API of the project shares."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

NOT_FOUND = "Not found."


@csrf_exempt  # the target view is a DRF view: SessionAuthentication enforces CSRF there
def without_trailing_slash(request: HttpRequest, rest: str) -> HttpResponse:
    """Serve `/api/auth/me` as `/api/auth/me/`.

    Integrations written against other portals' documentation call paths without the slash;
    Django's APPEND_SLASH would answer them with a redirect, which turns a POST into a GET.
    """
    try:
        match = resolve(f"{request.path_info}/")
    except Resolver404:
        return not_found(request)
    request.resolver_match = match
    return match.func(request, *match.args, **match.kwargs)


@csrf_exempt  # a POST to a wrong path is a 404, not a CSRF page
def not_found(request: HttpRequest, **kwargs: object) -> HttpResponse:
    """Answer any path under /api/ that no route matches with a JSON 404.

    Mounted as the API's last route, so the resolver never fails below /api/: with `DEBUG`
    on, Django would answer a failed resolve with its HTML debug page, whatever handler404
    says, and API clients always get `{"detail": ...}`.
    """
    return JsonResponse({"detail": NOT_FOUND}, status=404)
