"""Top-level routes: the admin, sign-in, the Integrations pages and the REST API.

Each app owns its routes; this module only says where they are mounted.
"""

from allauth.account import views as account_views
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apikeys.urls import audit_patterns, key_patterns
from core.api.routing import not_found, without_trailing_slash
from organizations.urls import invitation_patterns, member_patterns, navigation_patterns
from organizations.views.login import ThrottledLoginView, admin_login
from portal import errors

api_patterns = [
    path("", include("organizations.api.urls")),
    path("", include("apikeys.api.urls")),
    path("", include("accounts.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # Last: every API path also works without its trailing slash, and any other path under
    # /api/ is a JSON 404 (with DEBUG on too). API routes go above these two lines.
    re_path(r"^(?P<rest>.*[^/])$", without_trailing_slash),
    re_path(r"^.*$", not_found),
]

organization_pages = [
    path("", RedirectView.as_view(pattern_name="api-keys")),
    path("api-keys/", include(key_patterns)),
    path("members/", include(member_patterns)),
    path("audit-log/", include(audit_patterns)),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="integrations", permanent=False)),
    # Before the admin's own routes: its sign-in takes the same throttle as the pages'.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    # allauth's sign-out, kept under Django's name `logout` (the header's form uses it).
    path("accounts/logout/", account_views.logout, name="logout"),
    # Sign-up, email verification, password reset and change, re-authentication, and
    # two-factor (`/accounts/2fa/`): allauth's pages in Keyportal's templates.
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/", include(api_patterns)),
    *navigation_patterns,
    path("invitations/", include(invitation_patterns)),
    path("orgs/<uuid:organization_id>/integrations/", include(organization_pages)),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
