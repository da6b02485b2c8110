"""A key's effective status: the one table of what each status allows, held to the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys import services
from apikeys.models import ALLOWED_ACTIONS, APIKey, EffectiveStatus, KeyAction
from core.errors import Conflict

pytestmark = pytest.mark.django_db

# Each action through its lifecycle service, given whatever else that service needs.
SERVICES = {
    KeyAction.PAUSE: services.api_key_pause,
    KeyAction.RESUME: services.api_key_resume,
    KeyAction.ROTATE: services.api_key_rotate,
    KeyAction.SET_DEFAULT: services.api_key_set_default,
    KeyAction.RENAME: lambda **kwargs: services.api_key_rename(name="Renamed", **kwargs),
    KeyAction.REVOKE: services.api_key_revoke,
}


def key_in(status: EffectiveStatus, org, owner) -> APIKey:
    """Make a key in `status`, through the services wherever a service leads there."""
    key, _ = services.api_key_create(organization=org, actor=owner, acting_key=None, name="Kiosk")
    if status == EffectiveStatus.PAUSED:
        services.api_key_pause(key=key, actor=owner, acting_key=None)
    elif status == EffectiveStatus.REVOKED:
        services.api_key_revoke(key=key, actor=owner, acting_key=None)
    elif status == EffectiveStatus.EXPIRED:
        # Only time leads there: date the expiry a moment ago.
        APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    key.refresh_from_db()
    assert key.effective_status() == status
    return key


def accepts(action: KeyAction, key: APIKey, actor) -> bool:
    """Whether the service takes the action; any refusal other than the state's propagates."""
    try:
        SERVICES[action](key=key, actor=actor, acting_key=None)
    except Conflict:
        return False
    return True


def test_every_status_has_a_row_and_every_action_a_service():
    assert set(ALLOWED_ACTIONS) == set(EffectiveStatus)
    assert set(SERVICES) == set(KeyAction)


def test_the_effective_statuses_are_the_apis_status_enum_in_its_order():
    # drf-spectacular's KeyStatusEnum (portal/settings.py) is matched on these choices.
    assert EffectiveStatus.values == ["active", "paused", "revoked", "expired"]


@pytest.mark.parametrize("action", list(KeyAction), ids=str)
@pytest.mark.parametrize("status", list(EffectiveStatus), ids=str)
def test_each_status_allows_exactly_the_actions_the_services_accept(org, owner, status, action):
    key = key_in(status, org, owner)

    assert key.allowed_actions == status.allowed_actions
    assert accepts(action, key, owner) == status.allows(action)


@pytest.mark.parametrize("action", list(KeyAction), ids=str)
def test_a_rotated_key_offers_exactly_the_actions_the_services_accept(org, owner, action):
    old = key_in(EffectiveStatus.ACTIVE, org, owner)
    services.api_key_rotate(key=old, actor=owner, acting_key=None, grace_period_seconds=3600)
    old.refresh_from_db()
    assert old.effective_status() == EffectiveStatus.ACTIVE  # its grace keeps it working

    assert accepts(action, old, owner) == (action in old.allowed_actions)
    assert KeyAction.ROTATE not in old.allowed_actions
    assert KeyAction.SET_DEFAULT not in old.allowed_actions
