"""The Audit log tab: the organization's events, newest first, filterable, paginated."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apikeys import services
from core.models import AuditAction
from tests.factories import APIKeyFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def actions_listed(response) -> list[str]:
    return [event.action for event in response.context["events"]]


def test_events_are_listed_newest_first_with_who_and_which_key(admin, owner, org, make_key):
    key, _ = make_key(name="Billing")
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    response = signed_in(admin).get(reverse("audit-log", args=[org.pk]))
    assert actions_listed(response) == [AuditAction.KEY_PAUSED, AuditAction.KEY_CREATED]
    html = response.content.decode()
    assert "Key paused" in html and "owner@example.com" in html
    assert "Billing" in html and key.prefix in html
    assert "scopes:</span> records:read" in html


def test_only_this_organizations_events_are_listed(owner, org, outsider, other_org):
    services.api_key_create(organization=other_org, actor=outsider, name="Theirs", acting_key=None)
    response = signed_in(owner).get(reverse("audit-log", args=[org.pk]))
    assert actions_listed(response) == []
    assert "Nothing has happened in this organization yet." in response.content.decode()


def test_events_filter_by_key_and_by_action(owner, org, make_key):
    first, _ = make_key(name="First")
    second, _ = make_key(name="Second")
    services.api_key_pause(key=first, actor=owner, acting_key=None)
    client = signed_in(owner)
    url = reverse("audit-log", args=[org.pk])
    by_key = client.get(url, {"key": str(first.pk)})
    assert actions_listed(by_key) == [AuditAction.KEY_PAUSED, AuditAction.KEY_CREATED]
    by_action = client.get(url, {"action": AuditAction.KEY_CREATED})
    assert [e.api_key for e in by_action.context["events"]] == [second, first]
    both = client.get(url, {"key": str(second.pk), "action": AuditAction.KEY_PAUSED})
    assert actions_listed(both) == []
    assert "No events match these filters." in both.content.decode()


@pytest.mark.parametrize("query", [{"key": "not-a-key"}, {"action": "api_key.deleted"}])
def test_an_unknown_filter_is_an_inline_error_listing_nothing(owner, org, make_key, query):
    make_key()
    response = signed_in(owner).get(reverse("audit-log", args=[org.pk]), query)
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert actions_listed(response) == []


def test_another_organizations_key_cannot_be_used_as_a_filter(owner, org, outsider, other_org):
    theirs = APIKeyFactory(organization=other_org, created_by=outsider)
    response = signed_in(owner).get(reverse("audit-log", args=[org.pk]), {"key": str(theirs.pk)})
    assert response.status_code == 400


def test_the_log_is_paginated_by_50_keeping_the_filters(owner, org, make_key):
    key, _ = make_key()
    for n in range(30):
        services.api_key_rename(key=key, actor=owner, name=f"Name {n}", acting_key=None)
    for _ in range(11):
        services.api_key_pause(key=key, actor=owner, acting_key=None)
        services.api_key_resume(key=key, actor=owner, acting_key=None)
    client = signed_in(owner)
    url = reverse("audit-log", args=[org.pk])
    first = client.get(url, {"key": str(key.pk)})
    assert len(first.context["events"]) == 50
    assert f'href="?key={key.pk}&amp;page=2"' in first.content.decode()
    second = client.get(url, {"key": str(key.pk), "page": "2"})
    assert len(second.context["events"]) == 3  # 1 created + 30 renamed + 22 = 53


def test_outsiders_get_404(outsider, org):
    assert signed_in(outsider).get(reverse("audit-log", args=[org.pk])).status_code == 404


def test_members_get_403(member, org):
    # The log holds emails and IPs; who may read it: tests/organizations/test_audit_visibility.
    assert signed_in(member).get(reverse("audit-log", args=[org.pk])).status_code == 403
