"""Sign-in and sign-out, with sign-in attempts rate limited per client IP and per email."""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from core.counters import CountersUnavailable, count_hits, warn_unavailable, window_counters

TOO_MANY_ATTEMPTS = "Too many sign-in attempts. Wait {minutes} minute(s) and try again."


class ThrottledLoginView(auth_views.LoginView):
    """Django's login view, refusing further attempts once an IP or an email hits the limit.

    Counting the email as well as the IP stops a botnet from guessing one account's
    password from many addresses; counting the IP stops one address trying many accounts.
    """

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
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
            counts = [0]
        if max(counts) > settings.LOGIN_RATE_LIMIT:
            seconds_left = window - now % window
            form = self.get_form()
            minutes = max(1, round(seconds_left / 60))
            form.add_error(None, TOO_MANY_ATTEMPTS.format(minutes=minutes))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(int(seconds_left) + 1)
            return response
        return super().post(request, *args, **kwargs)
