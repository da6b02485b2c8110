"""REST routes of organizations, their members and their invitations, under /api/."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from organizations.api.invitations import InvitationViewSet
from organizations.api.views import MemberViewSet, OrganizationViewSet

router = SimpleRouter(use_regex_path=False)
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("organizations/<uuid:id>/members", MemberViewSet, basename="organization-member")
router.register(
    "organizations/<uuid:id>/invitations", InvitationViewSet, basename="organization-invitation"
)

urlpatterns = router.urls
