"""Email sign-in, sign-out, and sign-in rate limits per IP and per email."""

import pytest
from django.urls import reverse

from organizations.models import User
from organizations.views.login import TOO_MANY_ATTEMPTS
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD, ip="198.51.100.7"):
    return client.post(reverse("login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_the_login_page_is_styled_and_has_csrf(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "portal/portal.css" in html and "csrfmiddlewaretoken" in html
    assert "Email" in html


def test_signing_in_with_the_email_address_case_insensitively(client, owner):
    response = sign_in(client, "OWNER@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations")
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_a_wrong_password_is_refused(client, owner):
    response = sign_in(client, owner.email, "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post(client, owner):
    client.force_login(owner)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_attempts_are_limited_per_email_at_one_address(client, owner, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for _ in range(3):
        assert sign_in(client, owner.email, "wrong", ip="203.0.113.9").status_code == 200
    response = sign_in(client, owner.email, PASSWORD, ip="203.0.113.9")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert TOO_MANY_ATTEMPTS.split(".")[0] in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_stranger_cannot_lock_a_chosen_person_out(client, owner, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for n in range(10):  # a stranger hammers the owner's account from elsewhere
        sign_in(client, owner.email, "wrong", ip=f"203.0.113.{n}")
    # The owner, from their own address, still signs in.
    assert sign_in(client, owner.email, ip="198.51.100.77").status_code == 302


def test_look_alike_spellings_of_an_email_share_its_limit(client, owner, settings):
    settings.LOGIN_RATE_LIMIT = 3
    look_alike = owner.email.replace("o", "\uff4f", 1).upper()  # fullwidth o, other case
    for _ in range(3):
        sign_in(client, look_alike, "wrong")
    assert sign_in(client, owner.email).status_code == 429


def test_a_look_alike_spelling_signs_in_to_the_same_account(client, owner):
    response = sign_in(client, owner.email.replace("o", "\uff4f", 1).upper())
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_attempts_are_limited_per_ip_across_emails(client, owner, settings):
    settings.LOGIN_RATE_LIMIT_PER_IP = 3
    for n in range(3):
        sign_in(client, f"guess{n}@example.com", "wrong")
    assert sign_in(client, owner.email).status_code == 429
    # Another address is unaffected.
    assert sign_in(client, owner.email, ip="192.0.2.1").status_code == 302


def test_the_admin_sign_in_sends_visitors_to_the_throttled_sign_in(client):
    response = client.get("/admin/login/?next=/admin/apikeys/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=%2Fadmin%2Fapikeys%2F"


def test_the_admin_sign_in_never_checks_a_password_itself(client, superuser):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": superuser.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_staff_signing_in_for_the_admin_take_the_same_throttle(client, superuser, settings):
    settings.LOGIN_RATE_LIMIT = 3
    wrong = {"login": superuser.email, "password": "guess", "next": "/admin/"}
    guesses = [client.post(reverse("login"), wrong).status_code for _ in range(3)]

    right = client.post(reverse("login"), {**wrong, "password": PASSWORD})

    assert guesses == [200, 200, 200]
    assert right.status_code == 429  # even the right password waits out the window
    assert right["Retry-After"]
    assert "Too many sign-in attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_signing_in_for_the_admin_land_in_the_admin(client, superuser):
    response = client.post(
        reverse("login"), {"login": superuser.email, "password": PASSWORD, "next": "/admin/"}
    )

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_person_who_is_not_staff_is_refused_the_admin(client, owner):
    client.force_login(owner)

    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_over_the_limit_the_password_is_not_even_checked(client, owner, settings, monkeypatch):
    settings.LOGIN_RATE_LIMIT = 1
    sign_in(client, owner.email, "wrong")
    checked = []
    monkeypatch.setattr(User, "check_password", lambda *a, **k: checked.append(1))

    assert sign_in(client, owner.email).status_code == 429
    assert checked == []
