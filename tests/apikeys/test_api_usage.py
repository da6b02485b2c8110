"""`GET /api/api-keys/{id}/usage/`: a key's requests per hour or day, for whoever may read
the key, with a clear 400 for a range it cannot answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.jwt import issue_tokens
from apikeys import services, usage
from apikeys.api.serializers import usage as usage_api
from apikeys.api.views.keys import KEY_NOT_FOUND
from apikeys.models import KeyUsage, UsagePeriod
from tests.helpers import KEYS, signed_in

pytestmark = pytest.mark.django_db


def usage_url(key) -> str:
    return f"{KEYS}{key.pk}/usage/"


def with_key(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_by_hour_it_answers_48_buckets_ending_with_this_hour(owner, make_key):
    key, raw = make_key()
    for _ in range(3):
        with_key(raw).get("/api/auth/me/")
    body = signed_in(owner).get(usage_url(key)).json()
    assert body["granularity"] == "hour" and len(body["buckets"]) == 48
    this_hour = usage.hour_start(usage.hour_number(timezone.now()))
    assert body["buckets"][-1]["start"] == this_hour.isoformat().replace("+00:00", "Z")
    assert body["buckets"][-1] | {"start": None} == {
        "start": None,
        "accepted": 3,
        "refused": 0,
        "rate_limited": 0,
        "total": 3,
    }
    assert body["totals"] == {"accepted": 3, "refused": 0, "rate_limited": 0, "total": 3}


def test_by_day_it_sums_hours_and_rolled_up_days(owner, make_key):
    key, _ = make_key()
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for start, period, accepted in (
        (today - timedelta(days=2, hours=-3), UsagePeriod.HOUR, 4),
        (today - timedelta(days=2, hours=-9), UsagePeriod.HOUR, 6),
        (today - timedelta(days=5), UsagePeriod.DAY, 11),
    ):
        KeyUsage.objects.create(api_key=key, period=period, starts_at=start, accepted=accepted)
    body = signed_in(owner).get(usage_url(key), {"granularity": "day"}).json()
    assert len(body["buckets"]) == 30
    totals = {b["start"][:10]: b["total"] for b in body["buckets"] if b["total"]}
    assert totals == {
        (today - timedelta(days=2)).date().isoformat(): 10,
        (today - timedelta(days=5)).date().isoformat(): 11,
    }


def test_since_and_until_choose_the_range(owner, make_key):
    key, _ = make_key()
    until = timezone.now() - timedelta(hours=5)
    since = until - timedelta(hours=9)
    body = (
        signed_in(owner)
        .get(usage_url(key), {"since": since.isoformat(), "until": until.isoformat()})
        .json()
    )
    assert len(body["buckets"]) == 10
    assert body["since"].startswith(since.astimezone(UTC).strftime("%Y-%m-%dT%H:00:00"))


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"granularity": "week"}, "granularity", usage_api.GRANULARITY_INVALID),
        (
            {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            "since",
            usage_api.SINCE_AFTER_UNTIL,
        ),
        ({"since": "yesterday"}, "since", None),
    ],
)
def test_a_query_it_cannot_answer_is_a_400_naming_the_field(owner, make_key, query, field, message):
    key, _ = make_key()
    response = signed_in(owner).get(usage_url(key), query)
    assert response.status_code == 400
    assert field in response.json()
    if message:
        assert response.json()[field] == [message]


def test_more_hours_than_a_month_are_refused(owner, make_key):
    key, _ = make_key()
    since = timezone.now() - timedelta(days=40)
    response = signed_in(owner).get(usage_url(key), {"since": since.isoformat()})
    assert response.status_code == 400
    assert response.json()["since"] == [usage_api.TOO_MANY_HOURS.format(most=usage_api.MOST_HOURS)]


def test_hours_past_their_retention_point_to_days(owner, make_key, settings):
    settings.APIKEYS_USAGE_HOURS_KEPT_DAYS = 90
    key, _ = make_key()
    until = timezone.now() - timedelta(days=95)
    query = {"since": (until - timedelta(days=1)).isoformat(), "until": until.isoformat()}
    response = signed_in(owner).get(usage_url(key), query)
    assert response.status_code == 400
    assert response.json()["since"] == [usage_api.HOURS_NOT_KEPT.format(days=90)]
    assert signed_in(owner).get(usage_url(key), query | {"granularity": "day"}).status_code == 200


def test_more_than_a_year_of_days_is_refused(owner, make_key):
    key, _ = make_key()
    since = timezone.now() - timedelta(days=400)
    response = signed_in(owner).get(usage_url(key), {"granularity": "day", "since": since})
    assert response.status_code == 400
    assert response.json()["since"] == [usage_api.TOO_MANY_DAYS.format(most=usage_api.MOST_DAYS)]


def test_an_unknown_parameter_is_refused(owner, make_key):
    key, _ = make_key()
    response = signed_in(owner).get(usage_url(key), {"from": "2026-01-01"})
    assert response.status_code == 400 and "from" in response.json()


def test_every_member_may_read_usage_and_another_organizations_key_is_a_404(
    member, outsider, make_key
):
    key, _ = make_key()
    assert signed_in(member).get(usage_url(key)).status_code == 200
    response = signed_in(outsider).get(usage_url(key))
    assert response.status_code == 404 and response.json()["detail"] == KEY_NOT_FOUND


def test_an_access_token_reads_usage_as_its_person(member, make_key):
    key, _ = make_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=member).access}")
    assert client.get(usage_url(key)).status_code == 200


def test_a_key_needs_the_manage_scope_to_read_usage(make_key):
    key, raw = make_key(scopes=["records:read"])
    assert with_key(raw).get(usage_url(key)).status_code == 403
    _, manager_raw = make_key(scopes=["api_keys:manage"])
    assert with_key(manager_raw).get(usage_url(key)).status_code == 200


def test_a_revoked_keys_refusals_show_as_refused(owner, make_key):
    key, raw = make_key()
    services.api_key_revoke(key=key, actor=owner, acting_key=None)
    for _ in range(2):
        assert with_key(raw).get("/api/auth/me/").status_code == 401
    totals = signed_in(owner).get(usage_url(key)).json()["totals"]
    assert totals == {"accepted": 0, "refused": 2, "rate_limited": 0, "total": 2}


def test_the_key_object_says_where_it_was_last_used_from(owner, make_key):
    key, raw = make_key()
    with_key(raw).get("/api/auth/me/", headers={"User-Agent": "nxvet-bridge/1.0"})
    body = signed_in(owner).get(f"{KEYS}{key.pk}/").json()
    assert (body["last_used_ip"], body["last_used_user_agent"]) == ("127.0.0.1", "nxvet-bridge/1.0")


def test_times_in_the_future_stop_at_now(owner, make_key):
    key, _ = make_key()
    until = datetime(2999, 1, 1, tzinfo=UTC)
    body = signed_in(owner).get(usage_url(key), {"until": until.isoformat()}).json()
    assert len(body["buckets"]) == 48
