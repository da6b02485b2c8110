"""Reads for the account pages."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import NoticePreferences
from organizations.models import Invitation, User
from organizations.selectors import INVITATION_SESSION_KEY, open_invitation


def signup_invitation(request: HttpRequest) -> Invitation | None:
    """The open invitation this visitor opened (its id is in their session), if any.

    It is what lets a visitor sign up while sign-up is closed, and only with the address
    the invitation was sent to.
    """
    invitation_id = request.session.get(INVITATION_SESSION_KEY)
    return None if not invitation_id else open_invitation(invitation_id)


def expiry_reminders_on(user: User) -> bool:
    """Whether `user` gets expiry reminders (the default, until they turn them off)."""
    return not NoticePreferences.objects.filter(user=user, expiry_reminders=False).exists()
