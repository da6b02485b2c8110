"""REST routes of token login, under /api/ (each also works without its trailing slash)."""

from __future__ import annotations

from django.urls import path

from accounts.api import schema  # noqa: F401  (registers the access tokens' security scheme)
from accounts.api.views import LoginView, LogoutView, RefreshView

urlpatterns = [
    path("auth/login/", LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
]
