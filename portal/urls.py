"""Top-level routes: the admin, sign-in, the Integrations pages and the REST API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from organizations import views as org_views
from portal import errors

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="integrations", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/login/", org_views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("apikeys.api.urls")),
    path("", include("apikeys.urls")),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
