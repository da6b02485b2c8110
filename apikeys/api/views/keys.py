"""`/api/api-keys/`: list, create, read, rename and revoke keys, and every lifecycle action."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apikeys import services
from apikeys.api.serializers.keys import (
    APIKeyCreateSerializer,
    APIKeyFilterSerializer,
    APIKeyRotateSerializer,
    APIKeySerializer,
    APIKeyUpdateSerializer,
    APIKeyWithSecretSerializer,
)
from apikeys.api.serializers.usage import UsageQuerySerializer, UsageSerializer
from apikeys.api.views.base import (
    filter_keys,
    organization_for,
    organization_id_or_own,
    secret_response,
)
from apikeys.models import APIKey
from apikeys.permissions import CanManageAPIKeys, request_key
from apikeys.selectors import api_keys_visible_to
from apikeys.usage_buckets import summed
from apikeys.usage_selectors import usage_series
from core.api import docs
from core.api.pagination import Pagination
from core.api.serializers import NoBody, validated_body
from core.api.strict import StrictInput
from core.audit import AuditContext
from organizations.api.permissions import OrganizationAccess, within_credential_organization

KEY_NOT_FOUND = "No API key with this id in your organizations."

_SHOWN_ONCE = "The response is the only one that ever contains the plaintext `key`."


def keys_visible(request: Request) -> QuerySet[APIKey]:
    """Return the keys the caller may see: their organizations' (staff: all), a key's own org's."""
    return within_credential_organization(request, api_keys_visible_to(request.user))


def _action_schema(name: str, summary: str, description: str) -> Callable:
    return docs.operation(
        operation_id=f"api_keys_{name}",
        summary=summary,
        description=description,
        request=None,
        responses=docs.responses({200: APIKeySerializer}, docs.WRITE),
    )


@extend_schema_view(
    list=docs.operation(
        operation_id="api_keys_list",
        summary="List API keys",
        description="Keys of the caller's organizations, newest first (a key sees its own "
        "organization's). Members may read; keys need `api_keys:manage`.",
        responses=docs.responses({200: APIKeySerializer(many=True)}, docs.READ),
    ),
    create=docs.operation(
        operation_id="api_keys_create",
        summary="Create an API key",
        description="Owners and admins. With key authentication `organization_id` defaults to "
        f"the key's own, and the new key cannot hold scopes the caller lacks. {_SHOWN_ONCE}",
        request=APIKeyCreateSerializer,
        responses=docs.responses({201: APIKeyWithSecretSerializer}, (400, 401, 403, 415, 429)),
        parameters=[docs.NO_STORE_HEADER],
    ),
    retrieve=docs.operation(
        operation_id="api_keys_retrieve",
        summary="Read an API key",
        responses=docs.responses({200: APIKeySerializer}, docs.READ_ONE),
    ),
    partial_update=docs.operation(
        operation_id="api_keys_rename",
        summary="Rename an API key",
        request=APIKeyUpdateSerializer,
        responses=docs.responses({200: APIKeySerializer}, docs.WRITE),
    ),
    destroy=docs.operation(
        operation_id="api_keys_revoke",
        summary="Revoke an API key",
        description="Revocation is immediate and final: the next request with the key gets 401.",
        responses=docs.responses({204: None}, docs.WRITE),
    ),
)
class APIKeyViewSet(StrictInput, viewsets.GenericViewSet):
    """The API keys of the caller's organizations and their lifecycle."""

    permission_classes = [IsAuthenticated, OrganizationAccess, CanManageAPIKeys]
    serializer_class = APIKeySerializer
    pagination_class = Pagination
    lookup_value_converter = "uuid"
    query_serializers = {"list": APIKeyFilterSerializer, "usage": UsageQuerySerializer}

    def get_queryset(self) -> QuerySet[APIKey]:
        return keys_visible(self.request)

    def get_object(self) -> APIKey:
        key = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if key is None:
            raise NotFound(KEY_NOT_FOUND)
        return key

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(filter_keys(self.get_queryset(), self.validated_query))
        return self.get_paginated_response(APIKeySerializer(page, many=True).data)

    def organization_to_create_in(self, organization_id: UUID | None) -> UUID:
        """The organization a new key goes to when the body names none: the calling key's."""
        return organization_id_or_own(self.request, organization_id)

    @sensitive_variables()
    def create(self, request: Request) -> Response:
        data = validated_body(request, APIKeyCreateSerializer)
        organization_id = self.organization_to_create_in(data.get("organization_id"))
        organization, _ = organization_for(request, organization_id)
        key, raw = services.api_key_create(
            organization=organization,
            actor=request.user,
            name=data["name"],
            mode=data["mode"],
            scopes=data.get("scopes"),
            expires_at=data["expires_at"],
            context=AuditContext.from_request(request),
            acting_key=request_key(request),
        )
        return secret_response(key, raw)

    def retrieve(self, request: Request, pk: UUID) -> Response:
        return Response(APIKeySerializer(self.get_object()).data)

    @docs.operation(
        operation_id="api_keys_usage",
        summary="Read an API key's usage",
        description="Requests made with the key per UTC hour or day: accepted, refused "
        "(revoked, paused, expired) and rate-limited (429), one bucket per period, empty "
        "ones included. Hours are kept "
        f"{settings.APIKEYS_USAGE_HOURS_KEPT_DAYS} days, then summed by day. The last hours "
        "are read live: a request shows at once.",
        responses=docs.responses({200: UsageSerializer}, docs.READ_ONE),
    )
    @action(detail=True, methods=["get"])
    def usage(self, request: Request, pk: UUID) -> Response:
        key = self.get_object()
        query = self.validated_query
        buckets = usage_series(
            key,
            granularity=query["granularity"],
            since=query["since"],
            until=query["until"],
            now=query["now"],
        )
        total = summed(buckets)
        totals = {
            "accepted": total.accepted,
            "refused": total.refused,
            "rate_limited": total.limited,
            "total": total.total,
        }
        data = {
            "api_key_id": key.pk,
            "granularity": query["granularity"],
            "since": buckets[0].start,
            "until": query["until"],
            "totals": totals,
            "buckets": buckets,
        }
        return Response(UsageSerializer(data).data)

    def partial_update(self, request: Request, pk: UUID) -> Response:
        key = self.get_object()
        data = validated_body(request, APIKeyUpdateSerializer, partial=True)
        if "name" in data:
            key = services.api_key_rename(
                key=key,
                actor=request.user,
                name=data["name"],
                context=AuditContext.from_request(request),
                acting_key=request_key(request),
            )
        return Response(APIKeySerializer(key).data)

    def destroy(self, request: Request, pk: UUID) -> Response:
        key = self.get_object()
        validated_body(request, NoBody)
        services.api_key_revoke(
            key=key,
            actor=request.user,
            context=AuditContext.from_request(request),
            acting_key=request_key(request),
        )
        return Response(status=204)

    def _transition(self, service: Callable[..., APIKey]) -> Response:
        key = self.get_object()
        validated_body(self.request, NoBody)
        key = service(
            key=key,
            actor=self.request.user,
            acting_key=request_key(self.request),
            context=AuditContext.from_request(self.request),
        )
        return Response(APIKeySerializer(key).data)

    @_action_schema(
        "pause", "Pause an API key", "An active key stops authenticating until resumed."
    )
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: UUID) -> Response:
        return self._transition(services.api_key_pause)

    @_action_schema("resume", "Resume an API key", "A paused key authenticates again.")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: UUID) -> Response:
        return self._transition(services.api_key_resume)

    @_action_schema(
        "set_default",
        "Make an API key the default",
        "Only an active key; the organization's previous default is cleared.",
    )
    @action(detail=True, methods=["post"], url_path="set-default", url_name="set-default")
    def set_default(self, request: Request, pk: UUID) -> Response:
        return self._transition(services.api_key_set_default)

    @_action_schema("remove_default", "Clear an API key's default flag", "")
    @action(detail=True, methods=["post"], url_path="remove-default", url_name="remove-default")
    def remove_default(self, request: Request, pk: UUID) -> Response:
        return self._transition(services.api_key_remove_default)

    @docs.operation(
        operation_id="api_keys_rotate",
        summary="Rotate an API key",
        description="Creates a key with the same name, mode, scopes, expiry and default flag. "
        "The old key is revoked at once, or keeps working for `grace_period_seconds` (at most "
        f"24 hours) so deployments can switch over. {_SHOWN_ONCE}",
        request=APIKeyRotateSerializer,
        responses=docs.responses({201: APIKeyWithSecretSerializer}, docs.WRITE),
        parameters=[docs.NO_STORE_HEADER],
    )
    @action(detail=True, methods=["post"])
    @sensitive_variables()
    def rotate(self, request: Request, pk: UUID) -> Response:
        key = self.get_object()
        data = validated_body(request, APIKeyRotateSerializer)
        new, raw = services.api_key_rotate(
            key=key,
            actor=request.user,
            grace_period_seconds=data.get("grace_period_seconds"),
            context=AuditContext.from_request(request),
            acting_key=request_key(request),
        )
        return secret_response(new, raw)
