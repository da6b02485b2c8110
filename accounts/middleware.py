"""Two-factor before the pages that require it.

- An organization's rule (`Organization.two_factor_rule`) binds its owners and admins, or
  everyone: such a person without an authenticator app is sent to set one up before any
  page of that organization opens (`/orgs/<organization_id>/…`). The API refuses them with
  a 403 instead (`organizations.api.permissions`).
- With `ADMIN_REQUIRE_TWO_FACTOR` (on in production), staff set one up before the admin
  opens. Staff sign in to the admin through allauth's sign-in, which then asks for the code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from organizations.pages import organization_found
from organizations.permissions import TWO_FACTOR_REQUIRED, has_two_factor, lacks_required_two_factor

ADMIN_NEEDS_TWO_FACTOR = "Set up an authenticator app before you use the admin."
# The API answers for itself (403, JSON); a redirect to a page would mean nothing to a client.
API_PREFIX = "/api/"


def _send_to_setup(request: HttpRequest, message: str) -> HttpResponse:
    messages.warning(request, message)
    return redirect("mfa_activate_totp")


class TwoFactorRequiredMiddleware:
    """Send a signed-in person who must have two-factor, but has none, to set it up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(API_PREFIX):
            return None
        if self._admin_needs_two_factor(request, user):
            return _send_to_setup(request, ADMIN_NEEDS_TWO_FACTOR)
        organization_id = view_kwargs.get("organization_id")
        # Read once: the page reuses the organization and role (organization_access).
        found = None if organization_id is None else organization_found(request, organization_id)
        if found is not None and lacks_required_two_factor(user, *found):
            return _send_to_setup(request, TWO_FACTOR_REQUIRED)
        return None

    @staticmethod
    def _admin_needs_two_factor(request: HttpRequest, user: Any) -> bool:
        if not (settings.ADMIN_REQUIRE_TWO_FACTOR and user.is_staff):
            return False
        # Signing out of the admin stays possible.
        in_admin = request.path.startswith(reverse("admin:index"))
        return in_admin and request.path != reverse("admin:logout") and not has_two_factor(user)
