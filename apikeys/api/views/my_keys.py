"""`/api/users/me/api-keys/`: the caller's own keys, as Nexora's clients manage them.

The same endpoint class as `/api/api-keys/` (services, serializers, permission classes and
rules), narrowed to the keys the caller created: a key acts as its creator, so a key caller
sees its creator's keys in its own organization. Any other key is a 404 here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view

from apikeys.api.views.base import organization_id_or_own
from apikeys.api.views.keys import APIKeyViewSet
from apikeys.models import APIKey

_OWN = "Only keys the caller created (a key: its creator's, in its own organization)."


def _mine(name: str, summary: str, description: str) -> Any:
    # Requests, responses and errors are those of the `/api/api-keys/` operation.
    return extend_schema(
        operation_id=f"users_me_api_keys_{name}", summary=summary, description=description
    )


@extend_schema_view(
    list=_mine("list", "List your own API keys", f"{_OWN} Filters as `GET /api/api-keys/`."),
    create=_mine(
        "create",
        "Create an API key of your own",
        "As `POST /api/api-keys/`. Without `organization_id`, a key creates in its own "
        "organization and a session or access token in the user's one organization; a user "
        "of several organizations must name one. The response is the only one that ever "
        "contains the plaintext `key`.",
    ),
    rotate=_mine(
        "rotate", "Rotate one of your API keys", f"As `POST /api/api-keys/{{id}}/rotate/`. {_OWN}"
    ),
    destroy=_mine(
        "revoke", "Revoke one of your API keys", f"As `DELETE /api/api-keys/{{id}}/`. {_OWN}"
    ),
)
class MyAPIKeyViewSet(APIKeyViewSet):
    """The keys the caller created, with the lifecycle of `/api/api-keys/`."""

    def get_queryset(self) -> QuerySet[APIKey]:
        return super().get_queryset().filter(created_by=self.request.user)

    def organization_to_create_in(self, organization_id: UUID | None) -> UUID:
        """The organization named, else the calling key's, else the user's only one."""
        return organization_id_or_own(self.request, organization_id, only=True)


my_keys = MyAPIKeyViewSet.as_view({"get": "list", "post": "create"})
my_key = MyAPIKeyViewSet.as_view({"delete": "destroy"})
my_key_rotate = MyAPIKeyViewSet.as_view({"post": "rotate"})
