"""A downstream DRF endpoint, as an integration's own API would use APIKeyAuthentication."""

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apikeys.authentication import APIKeyAuthentication
from apikeys.permissions import CanManageAPIKeys, HasOrganizationAccess, require_scopes


class RecordsView(APIView):
    authentication_classes = [APIKeyAuthentication]
    permission_classes = [IsAuthenticated, HasOrganizationAccess, require_scopes("records:read")]

    def get(self, request, organization_id=None):
        return Response(
            {"user": request.user.email, "key": request.auth.prefix, "role": request.auth.role}
        )

    post = get


class DevicesView(RecordsView):
    """`require_scopes` adds to the view's own `required_scopes`."""

    permission_classes = [IsAuthenticated, require_scopes("records:read")]
    required_scopes = ("devices:read",)


class ManageView(RecordsView):
    """An integration's own key-management endpoint."""

    permission_classes = [IsAuthenticated, CanManageAPIKeys]


class WriteRecordsView(RecordsView):
    """An endpoint only owners' and admins' keys may use (`records:write`)."""

    permission_classes = [IsAuthenticated, require_scopes("records:write")]


urlpatterns = [
    path("records/write/", WriteRecordsView.as_view()),
    path("records/", RecordsView.as_view()),
    path("devices/", DevicesView.as_view()),
    path("manage/", ManageView.as_view()),
    path("orgs/<str:organization_id>/records/", RecordsView.as_view()),
]
