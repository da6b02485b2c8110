"""`organization_with_role`: the organization a page or API call names, and the caller's role."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser

from organizations.models import Role
from organizations.selectors import organization_with_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "role"),
    [("owner", Role.OWNER), ("admin", Role.ADMIN), ("member", Role.MEMBER), ("staff", Role.ADMIN)],
)
def test_each_caller_gets_the_organization_and_their_role_in_one_query(
    request, org, who, role, django_assert_num_queries
):
    user = request.getfixturevalue(who)
    with django_assert_num_queries(1):
        assert organization_with_role(user, org.pk) == (org, role)


def test_outsiders_unknown_ids_and_inactive_users_get_nothing(org, owner, outsider):
    assert organization_with_role(outsider, org.pk) is None
    assert organization_with_role(owner, uuid.uuid4()) is None
    assert organization_with_role(AnonymousUser(), org.pk) is None
    owner.is_active = False
    assert organization_with_role(owner, org.pk) is None
