"""`POST /api/ws-tickets/`: trade a credential for a single-use WebSocket ticket."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikeys.permissions import request_key
from apikeys.ws_tickets import ticket_mint
from core.api import docs
from core.api.serializers import ClosedSerializer
from core.api.strict import StrictInput


class TicketRequestSerializer(ClosedSerializer):
    """No fields: the ticket stands for the credential the request carries."""


class TicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(
        help_text="Open the socket with `?ticket=<ticket>` (once, within `expires_in`)."
    )
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid.")


class WebSocketTicketView(StrictInput, APIView):
    """Mint a ticket for the caller's key, session or access token."""

    permission_classes = [IsAuthenticated]

    @docs.operation(
        operation_id="ws_tickets_create",
        summary="Mint a WebSocket ticket",
        description="Browsers cannot set headers on a WebSocket, and a key in a URL ends up "
        "in logs: trade the credential this request carries for a ticket that opens one "
        "socket (`wss://…/api/ws/audit/?ticket=…`), once, within 30 seconds. The socket "
        "acts as the credential did, and closes when it is revoked.",
        request=TicketRequestSerializer,
        responses=docs.responses({201: TicketSerializer}, (400, 401, 415, 429)),
    )
    def post(self, request: Request) -> Response:
        TicketRequestSerializer(data=request.data or {}).is_valid(raise_exception=True)
        key = request_key(request)
        ticket = ticket_mint(
            user_id=str(request.user.pk), key_prefix=key.prefix if key is not None else None
        )
        return Response(
            {"ticket": ticket, "expires_in": settings.APIKEYS_WS_TICKET_SECONDS}, status=201
        )
