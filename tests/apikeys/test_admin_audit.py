"""The audit trail in the admin: searchable, filterable, and never changed."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from apikeys import services
from core.models import AuditAction, AuditEvent

AUDIT_LIST = reverse("admin:core_auditevent_changelist")


def listed(client, **query):
    """Return the key prefixes of the events the audit list shows for `query`."""
    response = client.get(AUDIT_LIST, query)
    assert response.status_code == 200
    return sorted(event.key_prefix for event in response.context["cl"].result_list)


def test_the_audit_trail_lists_searches_and_filters_events(root_client, make_key, outsider):
    key, _ = make_key(name="Traced")
    services.api_key_pause(key=key, actor=key.created_by, acting_key=None)
    other, _ = make_key(organization=outsider.organizations.get(), actor=outsider)
    today = timezone.now()

    page = root_client.get(AUDIT_LIST).content.decode()

    assert "Key paused" in page and "owner@example.com" in page
    assert listed(root_client, q=key.prefix) == [key.prefix, key.prefix]
    assert listed(root_client, q="outsider@") == [other.prefix]
    assert listed(root_client, action__exact=AuditAction.KEY_PAUSED) == [key.prefix]
    assert listed(root_client, organization__id__exact=str(other.organization_id)) == [other.prefix]
    this_month = listed(root_client, created_at__year=today.year, created_at__month=today.month)
    assert len(this_month) == 3
    assert listed(root_client, created_at__year=today.year - 1) == []


def test_audit_events_cannot_be_added_changed_or_deleted_even_by_a_superuser(root_client, make_key):
    make_key()
    event = AuditEvent.objects.get()
    change = reverse("admin:core_auditevent_change", args=[event.pk])
    delete = reverse("admin:core_auditevent_delete", args=[event.pk])

    assert root_client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert root_client.post(change, {"action": "api_key.revoked"}).status_code == 403
    assert root_client.post(delete, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in root_client.get(AUDIT_LIST).content.decode()
    viewed = root_client.get(change)
    assert viewed.status_code == 200
    assert 'name="_save"' not in viewed.content.decode()
    assert AuditEvent.objects.get().action == AuditAction.KEY_CREATED
