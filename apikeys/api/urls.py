"""REST API routes under /api/ (JSON, trailing slashes; the same paths without one work too)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from apikeys.api.views.audit import AuditEventListView
from apikeys.api.views.keys import APIKeyViewSet
from apikeys.api.views.me import MeView
from apikeys.api.views.organizations import MemberViewSet, OrganizationViewSet
from apikeys.api.views.users import UserAPIKeyListView

router = SimpleRouter(use_regex_path=False)
router.register("api-keys", APIKeyViewSet, basename="api-key")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("organizations/<uuid:id>/members", MemberViewSet, basename="organization-member")


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


urlpatterns = [
    path("auth/me/", MeView.as_view(), name="auth-me"),
    path("users/<uuid:user_id>/api-keys/", UserAPIKeyListView.as_view(), name="user-api-keys"),
    path("audit-events/", AuditEventListView.as_view(), name="audit-events"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^(?P<rest>.*[^/])$", without_trailing_slash),
]
