"""One sign-in throttle: allauth's own per-view and failed-password limits do not count
passwords a second time (organizations.views.login counts them), while its limit on wrong
two-factor codes stays."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from organizations.views.login import TOO_MANY_ATTEMPTS
from tests.accounts.conftest import totp_code, with_totp
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD, ip="198.51.100.7"):
    return client.post(reverse("login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_only_keyportals_limits_count_sign_ins(owner, settings):
    settings.LOGIN_RATE_LIMIT = settings.LOGIN_RATE_LIMIT_PER_IP = 100
    client = Client()
    # Past allauth's defaults: 30 sign-ins a minute per address, 5 failures per account.
    answers = {sign_in(client, owner.email, "a guess").status_code for _ in range(35)}

    assert answers == {200}
    assert sign_in(client, owner.email)["Location"] == reverse("integrations")


def test_the_throttle_refuses_before_allauth_checks_anything(owner, settings):
    settings.LOGIN_RATE_LIMIT = 2
    client = Client()
    sign_in(client, owner.email, "a guess")
    sign_in(client, owner.email, "another guess")

    refused = sign_in(client, owner.email)

    assert refused.status_code == 429
    assert TOO_MANY_ATTEMPTS.split(".")[0] in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_two_factor_codes_stay_limited_per_account(owner):
    with_totp(owner)
    client = Client()
    sign_in(client, owner.email)
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": wrong})

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})

    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
