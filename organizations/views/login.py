"""Sign-in and sign-out, with sign-in attempts rate limited per client IP and per email."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.clients import client_ip
from core.counters import CountersUnavailable, count_hits, warn_unavailable, window_counters
from organizations.models import normalize_login_email

TOO_MANY_ATTEMPTS = "Too many sign-in attempts. Wait {minutes} minute(s) and try again."


def sign_in_throttled(request: HttpRequest, email: str | None = None) -> float | None:
    """Count a sign-in attempt; return the seconds left in the window when over the limit.

    `email` is the address the attempt is for (by default the form's `username` field).
    Every way to sign in asks this (the pages, the admin, the token endpoint), so one
    attempt counts the same wherever it is made. Attempts count per client IP (one address
    trying many accounts) and per email *and* IP (one address guessing one account), never
    per email alone: a stranger must not be able to lock a chosen person out from their own
    address. The email is normalized as accounts are (`normalize_login_email`), so a
    look-alike spelling
    counts against the same account.
    """
    window = settings.LOGIN_RATE_WINDOW_SECONDS
    ip = client_ip(request) or ""
    # Hashed: the counter's name must stay within the cache's key alphabet and length.
    if email is None:
        email = request.POST.get("username", "")
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


def refused_form(form_class: type[Any], request: HttpRequest, seconds_left: float) -> Any:
    """A bound sign-in form whose only error says how long to wait.

    Its `clean` refuses before the parent's would authenticate: once over a limit, the
    password is never checked, so the throttle tells an attacker nothing.
    """
    refusal = TOO_MANY_ATTEMPTS.format(minutes=max(1, round(seconds_left / 60)))

    class Refused(form_class):
        def clean(self) -> dict[str, Any]:
            raise forms.ValidationError(refusal)

    form = Refused(request, data=request.POST)
    form.is_valid()
    return form


def too_many_attempts(response: HttpResponse, seconds_left: float) -> HttpResponse:
    """Make a rendered sign-in page the 429 that says how long to wait."""
    response.status_code = 429
    response["Retry-After"] = str(int(seconds_left) + 1)
    return response


class ThrottledLoginView(auth_views.LoginView):
    """Django's login view, refusing further attempts once an IP or an email hits the limit."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        seconds_left = sign_in_throttled(request)
        if seconds_left is None:
            return super().post(request, *args, **kwargs)
        form = refused_form(self.get_form_class(), request, seconds_left)
        response = self.render_to_response(self.get_context_data(form=form))
        return too_many_attempts(response, seconds_left)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in, under the same throttle as every other sign-in path."""
    if request.method == "POST":
        seconds_left = sign_in_throttled(request)
        if seconds_left is not None:
            context = {
                **admin.site.each_context(request),
                "title": "Log in",
                "form": refused_form(AdminAuthenticationForm, request, seconds_left),
                "app_path": request.get_full_path(),
                "username": request.POST.get("username", ""),
            }
            response = TemplateResponse(request, "admin/login.html", context)
            return too_many_attempts(response.render(), seconds_left)
    return admin.site.login(request)
