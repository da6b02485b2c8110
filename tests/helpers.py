"""Small helpers shared by the test modules."""

from rest_framework.test import APIClient


def signed_in(user) -> APIClient:
    """A client with a session for `user` (APIClient serves pages and the API alike)."""
    client = APIClient()
    client.force_login(user)
    return client


KEYS = "/api/api-keys/"


def detail(key) -> str:
    """The REST path of one key."""
    return f"{KEYS}{key.pk}/"
