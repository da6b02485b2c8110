"""Access tokens on the key-management endpoints: the person, like a session without CSRF."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts import jwt
from accounts.jwt import issue_tokens
from apikeys import authentication as key_auth
from organizations import services as org_services
from organizations.api.permissions import NOT_ORGANIZATION_MEMBER
from tests.factories import PASSWORD, APIKeyFactory
from tests.helpers import KEYS, all_logs, detail, signed_in

pytestmark = pytest.mark.django_db

ME = "/api/auth/me/"


def bearer(access, **kwargs):
    client = APIClient(**kwargs)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def with_token(user, **kwargs):
    return bearer(issue_tokens(user=user).access, **kwargs)


def test_an_access_token_lists_its_users_organizations_keys(owner, org, other_org, outsider):
    mine = APIKeyFactory(organization=org, created_by=owner)
    APIKeyFactory(organization=other_org, created_by=outsider)

    response = with_token(owner).get(KEYS)

    assert response.status_code == 200
    assert [k["id"] for k in response.json()["results"]] == [str(mine.pk)]


def test_me_says_the_caller_signed_in_with_a_token(owner, org):
    response = with_token(owner).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["auth_method"] == "jwt"
    assert body["api_key"] is None
    assert body["organization_id"] == str(org.pk)  # their only organization, as a session


def test_a_token_needs_no_csrf_where_a_session_does(owner, org):
    key = APIKeyFactory(organization=org, created_by=owner)
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(owner)

    refused = session.patch(detail(key), {"name": "Renamed"}, format="json")
    renamed = with_token(owner, enforce_csrf_checks=True).patch(
        detail(key), {"name": "Renamed"}, format="json"
    )

    assert refused.status_code == 403  # a cookie without a CSRF token
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed"


@pytest.mark.parametrize("who", ["member", "admin"])
def test_a_token_has_exactly_its_users_session_rights(request, org, who):
    user = request.getfixturevalue(who)
    body = {"name": "Lab sync", "organization_id": str(org.pk), "scopes": ["audit:read"]}
    audit = f"/api/audit-events/?organization_id={org.pk}"

    by_session = signed_in(user).get(audit)
    by_token = with_token(user).get(audit)
    assert (by_token.status_code, by_token.json()) == (by_session.status_code, by_session.json())

    if who == "member":
        session_create = signed_in(user).post(KEYS, body, format="json")
        token_create = with_token(user).post(KEYS, body, format="json")
        assert token_create.status_code == session_create.status_code == 403
        assert token_create.json() == session_create.json()


def test_a_deactivated_users_token_stops_on_the_next_request(owner):
    client = with_token(owner)
    assert client.get(KEYS).status_code == 200
    owner.is_active = False
    owner.save()

    response = client.get(KEYS)

    assert response.status_code == 401
    assert response.json() == {"detail": jwt.ACCOUNT_INACTIVE}


def test_a_password_change_stops_every_token_at_once(owner):
    first, second = with_token(owner), with_token(owner)
    owner.set_password("a brand new passphrase")
    owner.save()

    for client in (first, second):
        response = client.get(ME)
        assert response.status_code == 401
        assert response.json() == {"detail": jwt.CREDENTIALS_CHANGED}


def test_a_removed_members_token_no_longer_reaches_the_organization(owner, admin, org):
    APIKeyFactory(organization=org, created_by=owner)
    client = with_token(admin)
    in_org = f"{KEYS}?organization_id={org.pk}"
    assert len(client.get(in_org).json()["results"]) == 1

    org_services.member_remove(organization=org, actor=owner, acting_key=None, user=admin)

    refused = client.get(in_org)
    assert refused.status_code == 403
    assert refused.json() == {"detail": NOT_ORGANIZATION_MEMBER}
    assert client.get(KEYS).json()["results"] == []
    assert client.get(f"/api/organizations/{org.pk}/").status_code in (403, 404)
    assert client.get(ME).json()["organizations"] == []


def test_an_expired_access_token_says_so(owner):
    token = AccessToken()
    token["user_id"] = str(owner.pk)
    token[jwt.SESSION_VERSION_CLAIM] = jwt.session_version(owner)
    token.set_exp(lifetime=timedelta(seconds=-1))

    response = bearer(str(token)).get(ME)

    assert response.status_code == 401
    assert response.json() == {"detail": jwt.ACCESS_EXPIRED}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_without_the_password_claim_is_refused(owner):
    token = AccessToken.for_user(owner)  # simplejwt's bare token: no `sv`
    response = bearer(str(token)).get(ME)
    assert response.status_code == 401
    assert response.json() == {"detail": jwt.CREDENTIALS_CHANGED}


def test_a_refresh_token_is_no_access_token(owner):
    response = bearer(issue_tokens(user=owner).refresh).get(ME)
    assert response.status_code == 401
    assert response.json() == {"detail": jwt.ACCESS_INVALID}


def test_a_tampered_access_token_is_refused(owner, admin):
    header, _payload, signature = issue_tokens(user=owner).access.split(".")
    _, other_payload, _ = issue_tokens(user=admin).access.split(".")

    response = bearer(f"{header}.{other_payload}.{signature}").get(ME)

    assert response.status_code == 401
    assert response.json() == {"detail": jwt.ACCESS_INVALID}


def test_an_api_key_in_the_bearer_header_still_authenticates_as_a_key(key_client):
    response = key_client(scopes=["records:read"]).get(ME)
    assert response.status_code == 200
    assert response.json()["auth_method"] == "api_key"


def test_what_counts_as_an_access_token_agrees_with_api_key_authentication(owner, make_key):
    _, raw_key = make_key()
    values = [
        issue_tokens(user=owner).access,
        "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl",
        "eyJ.only-two",
        "eyJa.b.c.d",
        raw_key,
        "Zm9v.YmFy.YmF6",
    ]
    api_keys = key_auth.APIKeyAuthentication()
    for value in values:
        request = SimpleNamespace(META={"HTTP_AUTHORIZATION": f"Bearer {value}"})
        claimed = jwt.AccessTokenAuthentication.bearer_jwt(request) is not None
        refused_as_token = api_keys.why_malformed(value) == key_auth.ACCESS_TOKEN_NOT_ACCEPTED
        # Every value gets one answer: claimed as a token, or read as a (mis)typed key.
        assert claimed == refused_as_token, value


@pytest.mark.urls("tests.apikeys.downstream")
@pytest.mark.parametrize("path", ["/records/", "/manage/"])
def test_endpoints_that_take_only_api_keys_refuse_an_access_token(owner, path):
    response = with_token(owner).get(path)

    assert response.status_code == 401
    assert response.json() == {"detail": key_auth.ACCESS_TOKEN_NOT_ACCEPTED}


@pytest.fixture
def captured_logs():
    with all_logs() as lines:
        yield lines


def test_no_token_or_password_reaches_a_log(captured_logs, owner):
    api = APIClient()
    login = api.post(
        "/api/auth/login", {"email": owner.email, "password": PASSWORD}, format="json"
    ).json()
    refreshed = api.post(
        "/api/auth/refresh", {"refresh_token": login["refresh_token"]}, format="json"
    ).json()
    bearer(refreshed["access_token"]).get(KEYS)
    bearer(login["access_token"]).get("/api/audit-events/")  # a 400: no organization named
    api.post("/api/auth/refresh", {"refresh_token": login["refresh_token"]}, format="json")
    api.post("/api/auth/logout", {"refresh_token": refreshed["refresh_token"]}, format="json")

    logged = "\n".join(captured_logs)
    assert "/api/auth/refresh" in logged  # the refused refresh was logged, without its token
    secrets = [PASSWORD, *login.values(), *refreshed.values()]
    for secret in secrets:
        if isinstance(secret, str) and secret != "Bearer":
            assert secret not in logged
            assert secret.split(".")[-1] not in logged  # not even a token's signature
