"""The account pages Keyportal adds to allauth's (mounted under /accounts/)."""

from django.urls import path

from accounts.views import notice_preferences

urlpatterns = [
    path("notices/", notice_preferences, name="notice-preferences"),
]
