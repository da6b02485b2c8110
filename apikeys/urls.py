"""Integrations pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def integrations(request):  # replaced by the Integrations pages
    return render(request, "base.html")


urlpatterns = [path("integrations/", integrations, name="integrations")]
