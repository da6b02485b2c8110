"""Leaked keys: GitHub's secret scanning endpoint and the public leak report.

Neither authenticates anyone (no key, session or token; so no CSRF either): GitHub proves
itself with a signature over the body, and a leak report needs no identity, since all it
can do is end a key its sender holds. Both only validate input and call `apikeys.leaks`.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikeys import conf, keys, leaks
from core.api import docs
from core.api.serializers import ClosedSerializer, StrictCharField, validated_body
from core.api.strict import StrictInput
from core.audit import AuditContext

SIGNATURE_REFUSED = "The report's signature could not be verified."
KEYS_UNAVAILABLE = "GitHub's public keys could not be fetched: try again later."
BODY_TOO_LARGE = "The request body is too large."
REPORT_NOT_JSON = "The report is not valid JSON."
LEAK_REPORT_RECEIVED = (
    "Thank you. If this is a key issued here, it is revoked and its owners are told."
)
TOO_MANY_LEAK_REPORTS = "Too many leak reports from this address. Try again later."
# How long GitHub is asked to wait when its keys cannot be fetched.
KEYS_RETRY_SECONDS = 60

IDENTIFIER_HEADER = "Github-Public-Key-Identifier"
SIGNATURE_HEADER = "Github-Public-Key-Signature"


def _raw_body(request: Request) -> bytes:
    """The exact body bytes, within DATA_UPLOAD_MAX_MEMORY_SIZE (DRF's JSON parser alone
    would read a body of any size)."""
    try:
        return request.body
    except RequestDataTooBig as error:
        raise ParseError(BODY_TOO_LARGE) from error


# GitHub's secret scanning ---------------------------------------------------------------


class GitHubReportedTokenSerializer(serializers.Serializer):
    """One match in GitHub's report. GitHub's format, not ours: fields GitHub adds later
    are ignored rather than refused, so a new field never stops a leaked key's revocation."""

    token = StrictCharField(trim_whitespace=False, help_text="The string GitHub found.")
    type = StrictCharField(
        required=False, allow_blank=True, help_text="The secret type registered with GitHub."
    )
    url = StrictCharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Where it was found (a commit, an issue, a gist...).",
    )
    source = StrictCharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The kind of place: `content`, `commit`, `issue_comment`, `npm`...",
    )


class GitHubTokenLabelSerializer(serializers.Serializer):
    token_raw = serializers.CharField(help_text="The token as reported.")
    token_type = serializers.CharField(help_text="The type as reported.")
    label = serializers.ChoiceField(
        choices=[leaks.TRUE_POSITIVE, leaks.FALSE_POSITIVE],
        help_text="`true_positive` for a key this deployment issued, else `false_positive`.",
    )


def _first_error(errors: Any) -> str:
    """One line for GitHub's logs: the first problem, naming the entry it is in (DRF maps
    a list's invalid entries by their index)."""
    if isinstance(errors, dict):
        for field, messages in errors.items():
            message = _first_error(messages)
            if isinstance(field, int):
                return f"Entry {field}: {message}"
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(errors, list) and errors:
        return _first_error(errors[0])
    return str(errors)


@sensitive_variables()
def parse_github_report(body: bytes) -> list[leaks.ReportedToken]:
    """Read GitHub's JSON array of matches (400 naming the first problem)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise ParseError(REPORT_NOT_JSON) from error
    entries = GitHubReportedTokenSerializer(
        data=payload, many=True, max_length=settings.SECRET_SCANNING_MAX_TOKENS
    )
    if not entries.is_valid():
        raise ValidationError({"detail": _first_error(entries.errors)})
    return [
        leaks.ReportedToken(
            token=entry["token"],
            type=entry.get("type") or "",
            url=entry.get("url") or "",
            source=entry.get("source") or "",
        )
        for entry in entries.validated_data
    ]


def _header(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name=name, location=OpenApiParameter.HEADER, required=True, description=description
    )


class GitHubSecretScanningView(StrictInput, APIView):
    """GitHub's secret scanning partner endpoint."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    @docs.operation(
        operation_id="secret_scanning_github",
        summary="Receive GitHub secret scanning matches",
        description="For GitHub's secret scanning partner program, not for clients: GitHub "
        "sends the strings shaped like this deployment's keys it found in public places. "
        "The body must be signed by a key GitHub publishes (`SECRET_SCANNING_GITHUB_KEYS_URL`); "
        "every genuine key it names is revoked at once, the event audited with where it was "
        "found, and the organization's owners and the key's creator emailed. The answer labels "
        "each token `true_positive` (a key issued here, revoked now or before) or "
        "`false_positive`. A replayed report revokes and mails nothing twice. At most "
        "`SECRET_SCANNING_MAX_TOKENS` (1000) tokens per report.",
        parameters=[
            _header(IDENTIFIER_HEADER, "The `key_identifier` of the key that signed the body."),
            _header(SIGNATURE_HEADER, "Base64 DER ECDSA (SHA-256) signature of the exact body."),
        ],
        request=GitHubReportedTokenSerializer(many=True),
        responses={
            200: GitHubTokenLabelSerializer(many=True),
            **docs.errors(400, 415),
            401: OpenApiResponse(
                response=docs.ErrorSerializer,
                description="The signature is missing, invalid, or made with a key GitHub "
                "does not publish.",
            ),
            503: OpenApiResponse(
                response=docs.ErrorSerializer,
                description="GitHub's public keys could not be fetched: retry after "
                "`Retry-After` seconds.",
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = _raw_body(request)
        identifier = request.headers.get(IDENTIFIER_HEADER, "")
        signature = request.headers.get(SIGNATURE_HEADER, "")
        # The signature first, over the exact bytes received: nothing of an unsigned body
        # is read, and a stranger learns nothing but this refusal.
        try:
            signed = leaks.github_signature_valid(body, identifier, signature)
        except leaks.PublicKeysUnavailable:
            return Response(
                {"detail": KEYS_UNAVAILABLE},
                status=503,
                headers={"Retry-After": str(KEYS_RETRY_SECONDS)},
            )
        if not signed:
            return Response({"detail": SIGNATURE_REFUSED}, status=401)
        if request.content_type != "application/json":
            raise UnsupportedMediaType(request.content_type)
        reported = parse_github_report(body)
        labels = leaks.report_github(reported, context=AuditContext.from_request(request))
        return Response(labels)


# Public leak reports ---------------------------------------------------------------------


class LeakReportSerializer(ClosedSerializer):
    """A key someone found, and optionally where: unknown fields are refused."""

    key = StrictCharField(
        max_length=200, trim_whitespace=True, help_text="The key you found, whole."
    )
    url = serializers.URLField(
        required=False, max_length=2000, help_text="Where you found it, if it has an address."
    )
    source = StrictCharField(
        required=False,
        max_length=200,
        help_text="Where you found it, in a few words (a repository, a forum post...).",
    )


class LeakReportAnswerSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Always the same, whatever the key was.")


def _redacted(value: Any, brand: str) -> Any:
    """`value` (an error structure) with every key-shaped string masked: a key sent as a
    field's or a parameter's name would otherwise come back in the 400 naming it."""
    if isinstance(value, dict):
        return {keys.redact(str(k), brand): _redacted(v, brand) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(item, brand) for item in value]
    return keys.redact(str(value), brand)


class LeakReportView(StrictInput, APIView):
    """Anyone who finds a key reports it here."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ValidationError):
            exc = ValidationError(_redacted(exc.detail, conf.brand()))
        return super().handle_exception(exc)

    @docs.operation(
        operation_id="leaked_keys_report",
        summary="Report a leaked key",
        description="Found a key in a repository, a forum or a log? Send it here, with where "
        "you saw it. If it is a key issued here it is revoked at once and its owners are told. "
        "The answer is the same whatever you sent (a key, a revoked key, anything else), and "
        "the key is never echoed back. No credentials needed; "
        "`LEAK_REPORTS_PER_IP_PER_HOUR` (20) reports per address and hour.",
        request=LeakReportSerializer,
        responses=docs.responses({202: LeakReportAnswerSerializer}, (400, 415, 429)),
        auth=[],
    )
    @sensitive_variables()
    def post(self, request: Request) -> Response:
        wait = leaks.public_report_throttled(request)
        if wait is not None:
            return Response(
                {"detail": TOO_MANY_LEAK_REPORTS},
                status=429,
                headers={"Retry-After": str(int(wait) + 1)},
            )
        _raw_body(request)
        report = validated_body(request, LeakReportSerializer)
        leaks.report_public(
            report["key"],
            url=report.get("url", ""),
            source=report.get("source", ""),
            context=AuditContext.from_request(request),
        )
        return Response({"detail": LEAK_REPORT_RECEIVED}, status=202)
