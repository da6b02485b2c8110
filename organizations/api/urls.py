"""REST routes of organizations and their members, under /api/."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from organizations.api.views import MemberViewSet, OrganizationViewSet

router = SimpleRouter(use_regex_path=False)
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("organizations/<uuid:id>/members", MemberViewSet, basename="organization-member")

urlpatterns = router.urls
