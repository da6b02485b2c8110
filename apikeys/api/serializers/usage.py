"""A key's usage over time: the query of `GET /api/api-keys/{id}/usage/` and its answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

GRANULARITY_INVALID = "granularity is 'hour' or 'day'."
SINCE_AFTER_UNTIL = "since must be before until."
TOO_MANY_HOURS = "Ask for at most {most} hours at a time (by hour), or by day for longer."
TOO_MANY_DAYS = "Ask for at most {most} days at a time."
HOURS_NOT_KEPT = (
    "Usage is kept by the hour for {days} days, then by the day: ask with granularity=day "
    "for earlier periods."
)
MOST_HOURS = 24 * 31
MOST_DAYS = 366
# What a request without `since` covers: what the key's page charts show.
DEFAULT_SPAN = {"hour": timedelta(hours=47), "day": timedelta(days=29)}


class UsageQuerySerializer(serializers.Serializer):
    """The query of a key's usage: periods of an hour or a day, from `since` to `until`."""

    granularity = serializers.ChoiceField(
        choices=["hour", "day"],
        default="hour",
        error_messages={"invalid_choice": GRANULARITY_INVALID},
        help_text="`hour` (the default; hours are kept "
        f"{settings.APIKEYS_USAGE_HOURS_KEPT_DAYS} days) or `day` (UTC days).",
    )
    since = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601. Default: 48 hours (by hour) or 30 days (by day) ago.",
    )
    until = serializers.DateTimeField(required=False, help_text="ISO 8601. Default: now.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        now = timezone.now()
        granularity = attrs["granularity"]
        until = min(attrs.get("until") or now, now)
        since = attrs.get("since") or until - DEFAULT_SPAN[granularity]
        if since > until:
            raise serializers.ValidationError({"since": [SINCE_AFTER_UNTIL]})
        if granularity == "hour":
            kept = settings.APIKEYS_USAGE_HOURS_KEPT_DAYS
            if until - since > timedelta(hours=MOST_HOURS - 1):
                raise serializers.ValidationError(
                    {"since": [TOO_MANY_HOURS.format(most=MOST_HOURS)]}
                )
            if since < now - timedelta(days=kept):
                raise serializers.ValidationError({"since": [HOURS_NOT_KEPT.format(days=kept)]})
        elif until - since > timedelta(days=MOST_DAYS - 1):
            raise serializers.ValidationError({"since": [TOO_MANY_DAYS.format(most=MOST_DAYS)]})
        return {"granularity": granularity, "since": since, "until": until, "now": now}


class UsageBucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The period's start (UTC).")
    accepted = serializers.IntegerField(help_text="Requests the key authenticated.")
    refused = serializers.IntegerField(
        help_text="Requests refused: the key was revoked, paused or expired, or its creator "
        "can no longer act."
    )
    rate_limited = serializers.IntegerField(source="limited", help_text="Requests answered 429.")
    total = serializers.IntegerField()


class UsageTotalsSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    refused = serializers.IntegerField()
    rate_limited = serializers.IntegerField()
    total = serializers.IntegerField()


class UsageSerializer(serializers.Serializer):
    """A key's usage, one bucket per period (periods without requests too)."""

    api_key_id = serializers.UUIDField()
    granularity = serializers.CharField()
    since = serializers.DateTimeField(help_text="The first period's start.")
    until = serializers.DateTimeField(help_text="The end of the range asked (at most now).")
    totals = UsageTotalsSerializer()
    buckets = UsageBucketSerializer(many=True)
