"""The account's Notices page: the signed-in person turns expiry reminders on or off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import NoticePreferencesForm
from accounts.selectors import expiry_reminders_on
from accounts.services import notice_preferences_set

REMINDERS_ON = "Expiry reminders are on."
REMINDERS_OFF = "Expiry reminders are off. Security notices still reach you."
SECURITY_NOTICES_ALWAYS = (
    "Security notices (a key created, rotated, revoked or leaked, a member role changed, "
    "two-factor turned off) always go to owners and key creators: they cannot be turned off."
)


@login_required
@require_http_methods(["GET", "POST"])
def notice_preferences(request: HttpRequest) -> HttpResponse:
    """Show and change the signed-in person's own notice preferences (no one else's)."""
    if request.method == "POST":
        form = NoticePreferencesForm(request.POST)
        if form.is_valid():
            wanted = form.cleaned_data["expiry_reminders"]
            notice_preferences_set(user=request.user, expiry_reminders=wanted)
            messages.success(request, REMINDERS_ON if wanted else REMINDERS_OFF)
            return redirect("notice-preferences")
    else:
        form = NoticePreferencesForm(
            initial={"expiry_reminders": expiry_reminders_on(request.user)}
        )
    return render(
        request,
        "account/notice_preferences.html",
        {"form": form, "security_note": SECURITY_NOTICES_ALWAYS},
    )
