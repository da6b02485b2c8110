"""`GET /api/users/{user_id}/api-keys/`: the keys one user created, where the caller manages."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apikeys.api.serializers.keys import APIKeyFilterSerializer, APIKeySerializer
from apikeys.api.views.base import filter_keys
from apikeys.models import APIKey
from apikeys.permissions import CanManageAPIKeys
from apikeys.selectors import api_keys_manageable_by
from core.api import docs
from core.api.pagination import Pagination
from core.api.strict import StrictInput
from organizations.api.permissions import OrganizationAccess, within_credential_organization
from organizations.selectors import managed_memberships

USER_NOT_FOUND = "No such user in the organizations you manage."


class UserAPIKeyListView(StrictInput, GenericAPIView):
    """The keys a user created, in the organizations where the caller is owner or admin."""

    permission_classes = [IsAuthenticated, OrganizationAccess, CanManageAPIKeys]
    serializer_class = APIKeySerializer
    pagination_class = Pagination
    query_serializers = {"get": APIKeyFilterSerializer}

    def managed_keys(self) -> QuerySet[APIKey]:
        return within_credential_organization(
            self.request, api_keys_manageable_by(self.request.user)
        )

    def user_is_visible(self, user_id: UUID, keys: QuerySet[APIKey]) -> bool:
        """Tell whether the user belongs to, or made keys in, an organization the caller manages.

        Who manages what is `organizations.permissions`' rule (its queryset form); a key
        narrows it to its own organization.
        """
        memberships = managed_memberships(self.request.user, user_id)
        memberships = within_credential_organization(self.request, memberships)
        return keys.filter(created_by_id=user_id).exists() or memberships.exists()

    @docs.operation(
        operation_id="users_api_keys_list",
        summary="List the API keys a user created",
        description="Only the organizations where the caller is an owner or admin (staff: all).",
        responses=docs.responses({200: APIKeySerializer(many=True)}, docs.READ_ONE),
    )
    def get(self, request: Request, user_id: UUID) -> Response:
        params = self.validated_query
        keys = self.managed_keys()
        if not self.user_is_visible(user_id, keys):
            raise NotFound(USER_NOT_FOUND)
        page = self.paginate_queryset(filter_keys(keys.filter(created_by_id=user_id), params))
        return self.get_paginated_response(APIKeySerializer(page, many=True).data)
