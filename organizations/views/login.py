"""Sign-in, with every attempt counted against one throttle per client IP and per email.

The sign-in page is allauth's (`/accounts/login/`): it asks for the second factor and
refuses addresses not yet verified. The admin's own sign-in sends people there, so no
password reaches a form that would skip either.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.views import LoginView
from django import forms
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from core.clients import client_ip
from core.counters import CountersUnavailable, count_hits, warn_unavailable, window_counters
from organizations.models import normalize_login_email

TOO_MANY_ATTEMPTS = "Too many sign-in attempts. Wait {minutes} minute(s) and try again."
ADMIN_STAFF_ONLY = "Only staff can use the admin."


def sign_in_throttled(request: HttpRequest, email: str | None = None) -> float | None:
    """Count a sign-in attempt; return the seconds left in the window when over the limit.

    `email` is the address the attempt is for (by default the sign-in form's `login`
    field). Every password check asks this (the sign-in page, confirming access with the
    password again, the token endpoint), so one attempt counts the same wherever it is
    made. Attempts count per client IP (one address trying many accounts) and per email
    *and* IP (one address guessing one account), never per email alone: a stranger must not
    be able to lock a chosen person out from their own address. The email is normalized as
    accounts are (`normalize_login_email`), so a look-alike spelling counts against the
    same account.
    """
    window = settings.LOGIN_RATE_WINDOW_SECONDS
    ip = client_ip(request) or ""
    # Hashed: the counter's name must stay within the cache's key alphabet and length.
    if email is None:
        email = request.POST.get("login", "")
    email = normalize_login_email(email)
    email_and_ip = hashlib.sha256(f"{email}\n{ip}".encode()).hexdigest()[:32]
    now = time.time()
    counters = window_counters("login-ip", ip, now, (window,))
    if email:
        counters += window_counters("login-email-ip", email_and_ip, now, (window,))
    try:
        counts = count_hits(counters)
    except CountersUnavailable as error:
        # Sign-in must keep working through a cache outage: the password still decides.
        warn_unavailable(error, "sign-in throttling")
        return None
    # The first counter is the IP's (a larger limit: offices share an address), the second,
    # if any, the email at that IP's.
    limits = (settings.LOGIN_RATE_LIMIT_PER_IP, settings.LOGIN_RATE_LIMIT)
    if any(count > limit for count, limit in zip(counts, limits, strict=False)):
        return window - now % window
    return None


def too_many_attempts_message(seconds_left: float) -> str:
    """The refusal, saying how many minutes to wait."""
    return TOO_MANY_ATTEMPTS.format(minutes=max(1, round(seconds_left / 60)))


def refused_form(
    form_class: type[Any],
    request: HttpRequest,
    seconds_left: float,
    form_kwargs: dict[str, Any] | None = None,
) -> Any:
    """A bound sign-in form whose only error says how long to wait.

    Its `clean` refuses before the parent's would authenticate: once over a limit, the
    password is never checked, so the throttle tells an attacker nothing.
    """
    refusal = too_many_attempts_message(seconds_left)

    class Refused(form_class):
        def clean(self) -> dict[str, Any]:
            raise forms.ValidationError(refusal)

    form = Refused(data=request.POST, **(form_kwargs or {}))
    form.is_valid()
    return form


def too_many_attempts(response: HttpResponse, seconds_left: float) -> HttpResponse:
    """Make a rendered sign-in page the 429 that says how long to wait."""
    response.status_code = 429
    response["Retry-After"] = str(int(seconds_left) + 1)
    return response


class ThrottledLoginView(LoginView):
    """allauth's sign-in, refusing further attempts once an IP or an email hits the limit."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        seconds_left = sign_in_throttled(request, request.POST.get("login", ""))
        if seconds_left is None:
            return super().post(request, *args, **kwargs)
        form = refused_form(
            self.get_form_class(), request, seconds_left, form_kwargs={"request": request}
        )
        response = self.render_to_response(self.get_context_data(form=form))
        return too_many_attempts(response, seconds_left)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Offer sign-up only where it is open (`ACCOUNT_SIGNUP_OPEN`, or an invitation).
        context["signup_open"] = get_adapter(self.request).is_open_for_signup(self.request)
        return context


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in: the throttled, two-factor-aware sign-in page, then the admin.

    Django's admin form would check a password without the second factor, so it is never
    shown: visitors are sent to `/accounts/login/` and come back to where they were going.
    """
    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied(ADMIN_STAFF_ONLY)
        return redirect(target)
    return redirect(f"{reverse('login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")
