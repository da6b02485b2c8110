"""Bench routes: one path per authentication compared (see `benchmarks.views`)."""

from django.urls import path

from benchmarks import views

urlpatterns = [
    path("bench/none/", views.NoAuth.as_view()),
    path("bench/token/", views.Token.as_view()),
    path("bench/apikey/", views.KeyportalKey.as_view()),
    path("bench/apikey-nothrottle/", views.KeyportalKeyNoThrottle.as_view()),
    path("bench/drf-api-key/", views.DrfAPIKey.as_view()),
    path("bench/floor/", views.Floor.as_view()),
    path("bench/floor-prepared/", views.PreparedFloor.as_view()),
]
