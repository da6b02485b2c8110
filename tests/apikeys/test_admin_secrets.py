"""The key admin is no oracle for stored digests: no lookup, search or page reaches one.

`?hashed_key__startswith=ab` used to filter the key list, so staff could recover a stored
HMAC digest one character at a time from which rows remained.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.models import AuditEvent

KEYS = reverse("admin:apikeys_apikey_changelist")
EVENTS = reverse("admin:core_auditevent_changelist")
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def page_text(response) -> str:
    """The page without its CSRF token, which is masked afresh on every render."""
    return CSRF_TOKEN.sub("", response.content.decode())


def slices(secret: str, size: int = 16) -> set[str]:
    """Every `size`-character run of `secret`: none may appear in a page."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


@pytest.fixture
def key(make_key):
    key, _ = make_key(name="Digest holder")
    return key


def oracle_urls(key) -> list[str]:
    digest, password = key.hashed_key, key.created_by.password
    return [
        f"{KEYS}?hashed_key__startswith={digest[:2]}",
        f"{KEYS}?hashed_key={digest}",
        f"{KEYS}?hashed_key__regex=^{digest[:4]}",
        f"{KEYS}?hashed_key__gte={digest[:2]}",
        f"{KEYS}?created_by__password__startswith={password[:6]}",
        f"{KEYS}?organization__api_keys__hashed_key__startswith={digest[:2]}",
        f"{EVENTS}?api_key__hashed_key__startswith={digest[:2]}",
        f"{EVENTS}?actor__password__startswith={password[:6]}",
    ]


def test_filtering_by_a_digest_or_password_is_refused_not_answered(root_client, key):
    for url in oracle_urls(key):
        response = root_client.get(url)

        # Django answers a refused lookup (DisallowedModelAdminLookup) with 400; it must not
        # answer 200 with the rows that match, nor fail with a 500.
        assert response.status_code == 400, url
        assert key.prefix not in response.content.decode(), url


def test_a_wrong_guess_and_a_right_guess_get_the_same_answer(root_client, key):
    right = key.hashed_key[:2]
    wrong = next(c + d for c in "0123456789abcdef" for d in "0123456789abcdef" if c + d != right)

    answers = [root_client.get(KEYS, {"hashed_key__startswith": guess}) for guess in (right, wrong)]

    assert [a.status_code for a in answers] == [400, 400]
    assert page_text(answers[0]) == page_text(answers[1])


def test_searching_for_a_digest_finds_nothing(root_client, key):
    page = root_client.get(KEYS, {"q": key.hashed_key}).content.decode()

    assert key.prefix not in page
    assert "0 results" in page


def test_ordinary_filters_and_searches_still_work(root_client, key):
    by_mode = root_client.get(KEYS, {"mode": "live"})
    by_name = root_client.get(KEYS, {"q": "Digest"})
    by_org = root_client.get(KEYS, {"organization__id__exact": str(key.organization_id)})
    sorted_ = root_client.get(KEYS, {"o": "1"})

    for response in (by_mode, by_name, by_org, sorted_):
        assert response.status_code == 200
        assert key.prefix in response.content.decode()


def test_the_digest_is_never_rendered_in_the_key_or_audit_admin(root_client, key):
    event = AuditEvent.objects.filter(api_key=key).first()
    pages = [
        root_client.get(KEYS),
        root_client.get(reverse("admin:apikeys_apikey_change", args=[key.pk])),
        root_client.get(EVENTS),
        root_client.get(reverse("admin:core_auditevent_change", args=[event.pk])),
    ]

    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        assert key.hashed_key not in html
        assert not any(part in html for part in slices(key.hashed_key))


def test_a_popup_cannot_hand_back_the_digest_as_its_value(root_client, key):
    response = root_client.get(KEYS, {"_to_field": "hashed_key", "_popup": "1"})

    assert response.status_code == 400
    assert not any(part in response.content.decode() for part in slices(key.hashed_key))
