"""Sign-in and sign-out, with sign-in attempts rate limited per client IP and per email."""

from __future__ import annotations

import re
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.counters import CountersUnavailable, count_hits, warn_unavailable, window_counters

TOO_MANY_ATTEMPTS = "Too many sign-in attempts. Wait {minutes} minute(s) and try again."


def sign_in_throttled(request: HttpRequest) -> float | None:
    """Count a sign-in attempt; return the seconds left in the window when over the limit.

    Every way to sign in asks this (the pages, the admin), so one attempt counts the same
    wherever it is made. Counting the email as well as the IP stops a botnet from guessing
    one account's password from many addresses; counting the IP stops one address trying
    many accounts.
    """
    window = settings.LOGIN_RATE_WINDOW_SECONDS
    # Normalized to a cache-safe alphabet: the email is only a counter's name here.
    email = re.sub(r"[^a-z0-9@._+-]", "_", request.POST.get("username", "").strip().lower())
    email = email[:254]
    now = time.time()
    counters = window_counters("login-ip", request.META.get("REMOTE_ADDR", ""), now, (window,))
    if email:
        counters += window_counters("login-email", email, now, (window,))
    try:
        counts = count_hits(counters)
    except CountersUnavailable as error:
        # Sign-in must keep working through a cache outage: the password still decides.
        warn_unavailable(error, "sign-in throttling")
        return None
    if max(counts) > settings.LOGIN_RATE_LIMIT:
        return window - now % window
    return None


def refuse_attempt(response: HttpResponse, form: Any, seconds_left: float) -> HttpResponse:
    """Turn a sign-in page into the 429 that says how long to wait."""
    minutes = max(1, round(seconds_left / 60))
    form.add_error(None, TOO_MANY_ATTEMPTS.format(minutes=minutes))
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
        form = self.get_form()
        return refuse_attempt(
            self.render_to_response(self.get_context_data(form=form)), form, seconds_left
        )


class _RefusedAdminSignIn(AdminAuthenticationForm):
    """The admin's sign-in form, refusing without checking the password (it is throttled)."""

    refusal = ""

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError(self.refusal)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in, under the same throttle as every other sign-in path."""
    if request.method == "POST":
        seconds_left = sign_in_throttled(request)
        if seconds_left is not None:
            form = _RefusedAdminSignIn(request, data=request.POST)
            form.refusal = TOO_MANY_ATTEMPTS.format(minutes=max(1, round(seconds_left / 60)))
            form.is_valid()  # runs only the refusing `clean`: the password is never checked
            context = {
                **admin.site.each_context(request),
                "title": "Log in",
                "form": form,
                "app_path": request.get_full_path(),
                "username": request.POST.get("username", ""),
            }
            response = TemplateResponse(request, "admin/login.html", context, status=429)
            response["Retry-After"] = str(int(seconds_left) + 1)
            return response.render()
    return admin.site.login(request)
