"""The OpenAPI schema documents token login and access tokens as a security scheme."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

AUTH = ("/api/auth/login/", "/api/auth/refresh/", "/api/auth/logout/")
# Public endpoints take no credential at all (leak reports, GitHub's secret scanning).
PUBLIC = (*AUTH, "/api/secret-scanning/github/", "/api/leaked-keys/")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_access_tokens_are_a_bearer_security_scheme_named_jwt_auth(schema):
    scheme = schema["components"]["securitySchemes"]["jwtAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


def test_every_key_management_operation_accepts_an_access_token(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path in PUBLIC:
                continue
            assert {"jwtAuth": []} in operation["security"], (method, path)


def test_the_token_endpoints_take_no_credential_but_their_body(schema):
    for path in AUTH:
        assert "security" not in schema["paths"][path]["post"]


def test_sign_in_documents_its_body_its_tokens_and_its_refusals(schema):
    login = schema["paths"]["/api/auth/login/"]["post"]
    components = schema["components"]["schemas"]
    body = components["LoginRequest"]
    assert set(body["properties"]) == {"email", "password", "code"}
    assert body["required"] == ["email", "password"]
    assert body["additionalProperties"] is False

    pair = login["responses"]["200"]["content"]["application/json"]["schema"]
    assert pair == {"$ref": "#/components/schemas/TokenPair"}
    assert set(components["TokenPair"]["required"]) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
    }
    refused = login["responses"]["401"]["content"]["application/json"]["schema"]
    codes = components[refused["$ref"].rsplit("/", 1)[1]]["properties"]["code"]
    enum = components[codes["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert "two_factor_required" in enum
    assert {"400", "401", "403", "415", "429"} <= set(login["responses"])


@pytest.mark.parametrize("path", ["/api/auth/refresh/", "/api/auth/logout/"])
def test_refresh_and_sign_out_take_a_refresh_token(schema, path):
    operation = schema["paths"][path]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = schema["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert request["required"] == ["refresh_token"]
    assert request["additionalProperties"] is False
    assert "401" in operation["responses"]
