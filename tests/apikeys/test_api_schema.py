"""The OpenAPI schema validates, documents every endpoint and error, and the docs are local."""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

CONTRACT = {
    ("get", "/api/auth/me/"),
    ("get", "/api/organizations/"),
    ("get", "/api/organizations/{id}/"),
    ("get", "/api/organizations/{id}/members/"),
    ("get", "/api/organizations/{id}/invitations/"),
    ("post", "/api/organizations/{id}/invitations/"),
    ("get", "/api/organizations/{id}/invitations/{invitation_id}/"),
    ("delete", "/api/organizations/{id}/invitations/{invitation_id}/"),
    ("post", "/api/organizations/{id}/invitations/{invitation_id}/resend/"),
    ("get", "/api/organizations/{id}/members/{user_id}/"),
    ("patch", "/api/organizations/{id}/members/{user_id}/"),
    ("delete", "/api/organizations/{id}/members/{user_id}/"),
    ("get", "/api/api-keys/"),
    ("post", "/api/api-keys/"),
    ("get", "/api/api-keys/{id}/"),
    ("patch", "/api/api-keys/{id}/"),
    ("delete", "/api/api-keys/{id}/"),
    ("post", "/api/api-keys/{id}/pause/"),
    ("post", "/api/api-keys/{id}/resume/"),
    ("post", "/api/api-keys/{id}/set-default/"),
    ("post", "/api/api-keys/{id}/remove-default/"),
    ("post", "/api/api-keys/{id}/rotate/"),
    ("get", "/api/api-keys/{id}/usage/"),
    ("get", "/api/users/{user_id}/api-keys/"),
    ("get", "/api/users/me/api-keys/"),
    ("post", "/api/users/me/api-keys/"),
    ("delete", "/api/users/me/api-keys/{id}/"),
    ("post", "/api/users/me/api-keys/{id}/rotate/"),
    ("get", "/api/audit-events/"),
    ("get", "/api/audit-events/export/"),
    ("post", "/api/ws-tickets/"),
    ("post", "/api/secret-scanning/github/"),
    ("post", "/api/leaked-keys/"),
    ("post", "/api/auth/login/"),
    ("post", "/api/auth/refresh/"),
    ("post", "/api/auth/logout/"),
}

# Endpoints that authenticate nobody (`auth=[]`): no credential to refuse, so no 401 or 403
# for one. Each documents the errors it does answer: GitHub's report a 401 for a bad
# signature; a public leak report its per-address 429.
PUBLIC = {
    "/api/secret-scanning/github/": {"400", "401", "415"},
    "/api/leaked-keys/": {"400", "415", "429"},
    # Token login (accounts.api): no credential yet, or a refresh token in the body.
    "/api/auth/login/": {"400", "401", "403", "415", "429"},
    "/api/auth/refresh/": {"400", "401", "415"},
    "/api/auth/logout/": {"400", "401", "415"},
}
# Sign-in refusals say why in a machine-readable `code` too (two_factor_required, ...).
SIGN_IN_REFUSALS = {("/api/auth/login/", code) for code in ("401", "403", "429")}


@dataclass(frozen=True)
class Generated:
    schema: dict
    report: str  # every warning and error the generator printed, and their summary
    flagged: bool  # what `spectacular --fail-on-warn` would exit non-zero on


@pytest.fixture(scope="module")
def generated(django_db_blocker, tmp_path_factory):
    """The schema as `manage.py spectacular` writes it, with what the generator reported."""
    target = tmp_path_factory.mktemp("schema") / "schema.yml"
    GENERATOR_STATS.reset()  # count (and print) only this run's warnings
    report = io.StringIO()
    with django_db_blocker.unblock(), contextlib.redirect_stderr(report):
        call_command("spectacular", "--file", str(target))
    return Generated(yaml.safe_load(target.read_text()), report.getvalue(), bool(GENERATOR_STATS))


@pytest.fixture(scope="module")
def schema(generated):
    return generated.schema


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_the_schema_validates_without_a_single_warning(generated):
    assert generated.report == ""
    assert not generated.flagged
    validate_schema(generated.schema)  # raises on an invalid OpenAPI document


def test_the_schema_documents_exactly_the_contracts_endpoints(schema):
    assert {(method, path) for method, path, _ in operations(schema)} == CONTRACT


def test_operation_ids_are_unique(schema):
    ids = [operation["operationId"] for _, _, operation in operations(schema)]

    assert len(ids) == len(set(ids)) == len(CONTRACT)


def test_every_operation_documents_its_errors_with_the_error_shape(schema):
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        expected = set(PUBLIC.get(path, {"400", "401", "429"}))
        # /api/auth/me/ and /api/ws-tickets/: any valid credential will do; PUBLIC: none.
        if path not in ("/api/auth/me/", "/api/ws-tickets/", *PUBLIC):
            expected.add("403")
        if "{" in path:
            expected.add("404")
        if method in ("post", "patch") and path != "/api/api-keys/{id}/pause/":
            expected.add("415")
        documented = {code for code in responses if code.startswith(("4", "5"))}
        assert expected <= documented, (method, path, expected - documented)
        for code in documented:
            shape = "SignInError" if (path, code) in SIGN_IN_REFUSALS else "Error"
            assert responses[code]["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{shape}"
            }
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_transitions_document_their_409(schema):
    paths = schema["paths"]
    for action in ("pause", "resume", "set-default", "remove-default", "rotate"):
        assert "409" in paths[f"/api/api-keys/{{id}}/{action}/"]["post"]["responses"]
    assert "409" in paths["/api/api-keys/{id}/"]["delete"]["responses"]


def test_success_statuses_match_what_the_api_answers(schema):
    paths = schema["paths"]
    assert "201" in paths["/api/api-keys/"]["post"]["responses"]
    assert "201" in paths["/api/api-keys/{id}/rotate/"]["post"]["responses"]
    assert "201" in paths["/api/organizations/{id}/invitations/"]["post"]["responses"]
    assert set(paths["/api/api-keys/{id}/"]["delete"]["responses"]) & {"200", "204"} == {"204"}
    assert "content" not in paths["/api/api-keys/{id}/"]["delete"]["responses"]["204"]


def test_only_the_creation_and_rotation_responses_carry_the_plaintext(schema):
    components = schema["components"]["schemas"]
    with_key = {name for name, c in components.items() if "key" in c.get("properties", {})}
    # A leak report sends a found key in: a request body, never an answer.
    assert with_key == {"APIKeyWithSecret", "LeakReportRequest"}
    for path in (
        "/api/api-keys/",
        "/api/api-keys/{id}/rotate/",
        "/api/users/me/api-keys/",
        "/api/users/me/api-keys/{id}/rotate/",
    ):
        created = schema["paths"][path]["post"]["responses"]["201"]
        assert created["content"]["application/json"]["schema"]["$ref"].endswith(
            "/APIKeyWithSecret"
        )
        assert "Cache-Control" in created["headers"]


def test_the_key_object_marks_its_nullable_fields(schema):
    key = schema["components"]["schemas"]["APIKey"]
    nullable = {name for name, field in key["properties"].items() if field.get("nullable")}

    assert {"expires_at", "last_used_at", "revoked_at", "rotated_from"} <= nullable
    assert "name" not in nullable and "status" not in nullable
    assert set(key["required"]) == set(key["properties"])
    assert {"id", "name", "prefix", "mode", "status", "is_default", "scopes"} <= set(
        key["required"]
    )
    assert {"organization_id", "created_by", "created_at"} <= set(key["required"])
    status = schema["components"]["schemas"]["KeyStatusEnum"]["enum"]
    assert status == ["active", "paused", "revoked", "expired"]


def test_the_three_key_headers_are_alternative_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerAPIKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "kp_live_…",
        "description": "An organization API key: `Authorization: Bearer <key>`.",
    }
    assert (schemes["XAPIKey"]["in"], schemes["XAPIKey"]["name"]) == ("header", "X-API-Key")
    assert (schemes["ApiKeyHeader"]["in"], schemes["ApiKeyHeader"]["name"]) == (
        "header",
        "Api-Key",
    )
    assert "security" not in schema  # no default requirement: a public operation needs none
    for _, path, operation in operations(schema):
        if path in PUBLIC:
            assert "security" not in operation
            continue
        # A list of one-scheme requirements means "any one of them", never "all together".
        assert operation["security"] == [
            {"jwtAuth": []},
            {"BearerAPIKey": []},
            {"XAPIKey": []},
            {"ApiKeyHeader": []},
            {"cookieAuth": []},
        ]


def test_the_create_request_lists_the_scope_registry(schema, settings):
    components = schema["components"]["schemas"]
    create = components["APIKeyCreateRequest"]["properties"]
    scopes = components[create["scopes"]["items"]["$ref"].rsplit("/", 1)[1]]

    assert scopes["enum"] == sorted(settings.APIKEYS_SCOPES)
    for name, entry in settings.APIKEYS_SCOPES.items():
        assert f"`{name}`: {entry['description']}" in create["scopes"]["description"]
    assert create["name"]["maxLength"] == 100
    assert create["expires_at"]["nullable"] is True


def test_the_schema_is_served_at_api_schema():
    response = APIClient().get("/api/schema/?format=json")

    assert response.status_code == 200
    assert json.loads(response.content)["info"]["title"] == "Keyportal API"


def test_the_interactive_docs_load_everything_from_this_server():
    client = APIClient()

    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.getvalue(), asset
    assert "cdn" not in html.lower()


def test_inputs_that_refuse_unknown_fields_say_so(schema):
    components = schema["components"]["schemas"]

    assert components["PatchedAPIKeyUpdateRequest"]["additionalProperties"] is False
    assert components["PatchedMemberUpdateRequest"]["additionalProperties"] is False
