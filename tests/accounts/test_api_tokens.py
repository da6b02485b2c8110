"""Token login for API clients: `POST /api/auth/login`, `/api/auth/refresh`, `/api/auth/logout`."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth.hashers import MD5PasswordHasher
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.api import signin
from accounts.jwt import CREDENTIALS_CHANGED, REFRESH_INVALID
from organizations.views.login import TOO_MANY_ATTEMPTS
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN, REFRESH, LOGOUT = "/api/auth/login", "/api/auth/refresh", "/api/auth/logout"
ME = "/api/auth/me/"
IP = "198.51.100.7"


def verify_email(user):
    """Mark `user`'s address verified, as following the emailed link does."""
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    return user


@pytest.fixture
def person(owner):
    """The organization's owner, with a verified address: may sign in for tokens."""
    return verify_email(owner)


def login(email, password=PASSWORD, ip=IP, client=None, **extra):
    body = {"email": email, "password": password, **extra}
    return (client or APIClient()).post(LOGIN, body, format="json", REMOTE_ADDR=ip)


def post(path, body):
    return APIClient().post(path, body, format="json")


def bearer(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def totp_secret(user):
    """Turn two-factor on for `user` with allauth.mfa's own API; return the app's secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret, shift=0):
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + shift
    return format_hotp_value(hotp_value(secret, counter))


def wrong_code(secret):
    valid = {totp_code(secret, shift) for shift in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in valid)


# Sign-in ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LOGIN, LOGIN + "/"])
def test_signing_in_returns_a_bearer_access_token_and_a_refresh_token(person, path):
    response = APIClient().post(
        path, {"email": person.email, "password": PASSWORD}, format="json", REMOTE_ADDR=IP
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300  # five minutes
    assert response["Cache-Control"] == "no-store"
    me = bearer(body["access_token"]).get(ME)
    assert me.status_code == 200
    assert me.json()["user_id"] == str(person.pk)
    assert me.json()["auth_method"] == "jwt"


def test_signing_in_sets_no_cookie_and_starts_no_session(person):
    client = APIClient()
    response = login(person.email, client=client)
    assert response.status_code == 200
    assert response.cookies == {}
    assert "_auth_user_id" not in client.session


def test_a_session_neither_authenticates_nor_needs_csrf_for_sign_in(person, member):
    verify_email(member)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)  # a browser session of someone else, and no CSRF token

    response = login(person.email, client=client)

    assert response.status_code == 200
    me = bearer(response.json()["access_token"]).get(ME)
    assert me.json()["user_id"] == str(person.pk)  # the credentials' user, not the session's


def test_a_look_alike_spelling_of_the_email_signs_in_to_the_same_account(person):
    response = login(person.email.replace("o", "\uff4f", 1).upper())
    assert response.status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(person):
    wrong = login(person.email, "not the password")
    unknown = login("nobody@example.com")

    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {
            "detail": signin.INVALID_CREDENTIALS,
            "code": "invalid_credentials",
        }
    )
    assert wrong["WWW-Authenticate"] == unknown["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not OutstandingToken.objects.exists()


def test_an_unknown_email_still_costs_a_password_hash(db, monkeypatch):
    hashed = []
    encode = MD5PasswordHasher.encode

    def counting(self, password, salt):
        hashed.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)

    assert login("nobody@example.com", "some guess").status_code == 401
    # As long as checking a real account's password: timing tells no one it does not exist.
    assert "some guess" in hashed


def test_a_deactivated_account_gets_the_wrong_password_answer(person):
    person.is_active = False
    person.save()

    response = login(person.email)

    assert response.status_code == 401
    assert response.json()["detail"] == signin.INVALID_CREDENTIALS


def test_an_unverified_email_gets_no_tokens(owner):
    EmailAddress.objects.filter(user=owner).update(verified=False)

    response = login(owner.email)

    assert response.status_code == 403
    assert response.json() == {
        "detail": signin.EMAIL_NOT_VERIFIED,
        "code": "email_not_verified",
    }
    assert not OutstandingToken.objects.exists()


def test_an_account_with_no_address_on_file_gets_no_tokens(owner):
    EmailAddress.objects.filter(user=owner).delete()  # made before verification existed
    assert login(owner.email).status_code == 403


# Two-factor -----------------------------------------------------------------------------


def test_with_two_factor_on_the_password_alone_is_not_enough(person):
    totp_secret(person)

    response = login(person.email)

    assert response.status_code == 401
    assert response.json() == {
        "detail": signin.TWO_FACTOR_REQUIRED,
        "code": "two_factor_required",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not OutstandingToken.objects.exists()


def test_with_two_factor_on_the_authenticator_code_signs_in(person):
    secret = totp_secret(person)

    response = login(person.email, code=totp_code(secret))

    assert response.status_code == 200
    assert bearer(response.json()["access_token"]).get(ME).status_code == 200


def test_a_wrong_two_factor_code_is_refused(person):
    secret = totp_secret(person)

    response = login(person.email, code=wrong_code(secret))

    assert response.status_code == 401
    assert response.json() == {"detail": signin.TWO_FACTOR_INVALID, "code": "two_factor_invalid"}
    assert not OutstandingToken.objects.exists()


def test_a_code_with_the_wrong_password_says_only_that_the_password_is_wrong(person):
    secret = totp_secret(person)
    response = login(person.email, "not the password", code=totp_code(secret))
    assert response.json()["detail"] == signin.INVALID_CREDENTIALS


def test_an_authenticator_code_works_once(person):
    secret = totp_secret(person)
    code = totp_code(secret)

    assert login(person.email, code=code).status_code == 200
    replayed = login(person.email, code=code)

    assert replayed.status_code == 401
    assert replayed.json()["detail"] == signin.TWO_FACTOR_INVALID


def test_a_recovery_code_signs_in_once(person):
    totp_secret(person)
    first, second = RecoveryCodes.activate(person).generate_codes()[:2]

    assert login(person.email, code=first).status_code == 200
    again = login(person.email, code=first)
    assert again.status_code == 401
    assert again.json()["detail"] == signin.TWO_FACTOR_INVALID
    assert login(person.email, code=second).status_code == 200


def test_two_factor_codes_are_limited_per_account_whatever_the_address(person, settings):
    settings.ACCOUNT_LOGIN_ATTEMPTS_LIMIT = 2
    secret = totp_secret(person)
    for n in range(2):  # a password holder guessing codes from two addresses
        login(person.email, code=wrong_code(secret), ip=f"203.0.113.{n}")

    response = login(person.email, code=totp_code(secret), ip="203.0.113.50")

    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    assert response.json()["detail"] == signin.TOO_MANY_CODES.format(minutes=5)
    assert int(response["Retry-After"]) > 0


# The sign-in throttle ------------------------------------------------------------------


def test_token_sign_in_attempts_are_limited_per_email_at_one_address(person, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for _ in range(3):
        assert login(person.email, "wrong").status_code == 401

    response = login(person.email)  # even the right password, once over the limit

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "too_many_attempts"
    assert response.json()["detail"].startswith(TOO_MANY_ATTEMPTS.split(".")[0])
    assert not OutstandingToken.objects.exists()


def test_a_look_alike_email_shares_the_token_sign_in_limit(person, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for _ in range(3):
        login(person.email.replace("o", "\uff4f", 1).upper(), "wrong")
    assert login(person.email).status_code == 429


def test_token_attempts_count_against_the_sign_in_page(person, client, settings):
    settings.LOGIN_RATE_LIMIT_PER_IP = 3
    for n in range(3):
        login(f"guess{n}@example.com", "wrong")

    page = client.post(
        reverse("login"),
        {"login": person.email, "username": person.email, "password": PASSWORD},
        REMOTE_ADDR=IP,
    )

    assert page.status_code == 429


def test_sign_in_page_attempts_count_against_token_sign_in(person, client, settings):
    settings.LOGIN_RATE_LIMIT_PER_IP = 3
    for n in range(3):
        client.post(
            reverse("login"),
            {"login": f"guess{n}@example.com", "username": f"guess{n}@example.com"},
            REMOTE_ADDR=IP,
        )
    assert login(person.email).status_code == 429


# Input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (LOGIN, {"email": "owner@example.com", "password": PASSWORD, "username": "owner"}),
        (LOGIN, {"email": "owner@example.com", "password": PASSWORD, "remember": True}),
        (REFRESH, {"refresh_token": "x", "grant_type": "refresh_token"}),
        (LOGOUT, {"refresh_token": "x", "all": True}),
    ],
)
def test_unknown_fields_are_refused_by_name(person, path, body):
    response = post(path, body)

    assert response.status_code == 400
    unknown = (set(body) - {"email", "password", "refresh_token"}).pop()
    assert unknown in response.json()
    assert not OutstandingToken.objects.exists()


def test_refused_input_is_no_sign_in_attempt(person, settings):
    settings.LOGIN_RATE_LIMIT = 2
    for _ in range(5):
        post(LOGIN, {"email": person.email, "password": PASSWORD, "otp": "1"})
    assert login(person.email).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"email": "owner@example.com"}, {"email": 5, "password": PASSWORD}, {"password": PASSWORD}],
)
def test_missing_or_mistyped_credentials_are_a_400(person, body):
    response = post(LOGIN, body)
    assert response.status_code == 400


@pytest.mark.parametrize("path", [LOGIN, REFRESH, LOGOUT])
def test_credentials_in_the_url_are_refused(person, path):
    response = APIClient().post(
        f"{path}?password={PASSWORD}", {"email": person.email}, format="json", REMOTE_ADDR=IP
    )
    assert response.status_code == 400
    assert "password" in response.json()
    assert not OutstandingToken.objects.exists()


@pytest.mark.parametrize("path", [LOGIN, REFRESH, LOGOUT])
def test_the_token_endpoints_take_json_only(person, path):
    response = APIClient().post(path, {"email": person.email, "password": PASSWORD})
    assert response.status_code == 415


# Refresh and sign-out -----------------------------------------------------------------------


@pytest.fixture
def tokens(person):
    return login(person.email).json()


@pytest.mark.parametrize("path", [REFRESH, REFRESH + "/"])
def test_a_refresh_returns_a_new_pair_and_uses_up_the_refresh_token(tokens, person, path):
    response = post(path, {"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert bearer(fresh["access_token"]).get(ME).json()["user_id"] == str(person.pk)
    assert response["Cache-Control"] == "no-store"

    again = post(REFRESH, {"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401
    assert again.json() == {"detail": REFRESH_INVALID}
    assert post(REFRESH, {"refresh_token": fresh["refresh_token"]}).status_code == 200


def test_signing_out_ends_the_refresh_token(tokens):
    response = post(LOGOUT, {"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 204
    assert BlacklistedToken.objects.count() == 1
    refused = post(REFRESH, {"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401
    assert refused.json()["detail"] == REFRESH_INVALID


@pytest.mark.parametrize(
    "value",
    [
        "not-a-token",
        "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl",  # forged
    ],
)
@pytest.mark.parametrize("path", [REFRESH, LOGOUT])
def test_a_refresh_token_this_server_did_not_issue_is_refused(person, path, value):
    response = post(path, {"refresh_token": value})
    assert response.status_code == 401
    assert response.json()["detail"] == REFRESH_INVALID


@pytest.mark.parametrize("path", [REFRESH, LOGOUT])
def test_an_access_token_is_no_refresh_token(tokens, path):
    response = post(path, {"refresh_token": tokens["access_token"]})
    assert response.status_code == 401


def test_a_password_change_ends_refresh_tokens(tokens, person):
    person.set_password("a brand new passphrase")
    person.save()

    response = post(REFRESH, {"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 401
    assert response.json()["detail"] == CREDENTIALS_CHANGED


def test_a_deactivated_account_cannot_refresh(tokens, person):
    person.is_active = False
    person.save()
    assert post(REFRESH, {"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_a_deleted_account_cannot_refresh(tokens, person):
    person.delete()
    response = post(REFRESH, {"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401
    assert response.json()["detail"] == REFRESH_INVALID


def test_the_database_keeps_no_usable_token(tokens):
    post(REFRESH, {"refresh_token": tokens["refresh_token"]})
    stored = list(OutstandingToken.objects.values_list("token", flat=True))
    assert len(stored) == 2
    assert stored == ["", ""]


def test_each_user_refreshes_only_their_own_session(person):
    other = verify_email(UserFactory(email="other@example.com"))
    mine, theirs = login(person.email).json(), login(other.email).json()
    post(LOGOUT, {"refresh_token": theirs["refresh_token"]})
    assert post(REFRESH, {"refresh_token": mine["refresh_token"]}).status_code == 200
