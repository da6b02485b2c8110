"""Two-factor authentication: an authenticator app with recovery codes, asked at sign-in,
required by an organization's rule and, in production, by the admin."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.middleware import ADMIN_NEEDS_TWO_FACTOR
from core.models import AuditAction, AuditEvent
from organizations.api.permissions import TwoFactorSatisfied
from organizations.models import Role, TwoFactorRule
from organizations.permissions import TWO_FACTOR_REQUIRED
from organizations.views.login import TOO_MANY_ATTEMPTS
from tests.accounts.conftest import authenticated_long_ago, last_mail_to, totp_code, with_totp
from tests.factories import PASSWORD, MembershipFactory
from tests.helpers import KEYS, signed_in

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"
DEACTIVATE = "/accounts/2fa/totp/deactivate/"


def sign_in(client, user, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"login": user.email, "password": password, **extra})


def signed_in_on_the_page(user) -> Client:
    client = Client()
    assert sign_in(client, user)["Location"] == reverse("integrations")
    return client


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# Setting it up ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the audit event and the mail follow the commit
def test_setting_up_an_authenticator_app_turns_two_factor_on(owner):
    client = signed_in_on_the_page(owner)
    page = client.get(ACTIVATE).content.decode()
    secret = re.search(r'id="authenticator-secret">([A-Z2-7]+)<', page).group(1)

    response = client.post(ACTIVATE, {"code": totp_code(secret)})

    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert has_totp(owner)
    codes = client.get(response["Location"]).content.decode()
    assert codes.count("<li><code>") == 10  # recovery codes, shown for safekeeping
    event = AuditEvent.objects.get(action=AuditAction.USER_TWO_FACTOR_ENABLED)
    assert (event.actor, event.organization) == (owner, None)
    assert last_mail_to(owner.email).subject == "Keyportal: Two-factor authentication is on"


def test_the_setup_page_shows_the_key_and_its_qr_code_without_script(owner):
    html = signed_in_on_the_page(owner).get(ACTIVATE).content.decode()

    assert 'src="data:image/svg+xml;base64,' in html
    assert re.search(r'id="authenticator-secret">[A-Z2-7]{32}<', html)
    assert "<script>" not in html and "<script " not in html.replace(
        '<script src="/static/portal/portal.js" defer>', ""
    )


def test_a_wrong_code_turns_nothing_on(owner):
    client = signed_in_on_the_page(owner)
    page = client.get(ACTIVATE).content.decode()
    secret = re.search(r'id="authenticator-secret">([A-Z2-7]+)<', page).group(1)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"

    response = client.post(ACTIVATE, {"code": wrong})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not has_totp(owner)


# Signing in with it ----------------------------------------------------------------------


def test_with_two_factor_on_signing_in_asks_for_the_code(owner):
    with_totp(owner)
    client = Client()

    response = sign_in(client, owner)

    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone signs no one in
    signed = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert signed["Location"] == reverse("integrations")
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_a_wrong_code_does_not_sign_in(owner):
    with_totp(owner)
    client = Client()
    sign_in(client, owner)

    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once(owner):
    with_totp(owner)
    code = RecoveryCodes.activate(owner).get_unused_codes()[0]
    first, second = Client(), Client()
    sign_in(first, owner)
    sign_in(second, owner)

    assert first.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert second.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
    assert "_auth_user_id" in first.session and "_auth_user_id" not in second.session


# Turning it off --------------------------------------------------------------------------


def test_turning_two_factor_off_asks_for_the_password_again_and_is_audited(owner):
    with_totp(owner)
    client = Client()
    sign_in(client, owner)
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    authenticated_long_ago(client, owner)

    asked = client.get(DEACTIVATE)

    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert client.post(asked["Location"], {"password": PASSWORD})["Location"] == DEACTIVATE
    assert client.post(DEACTIVATE)["Location"] == reverse("mfa_index")
    assert not has_totp(owner)
    assert AuditEvent.objects.filter(action=AuditAction.USER_TWO_FACTOR_DISABLED).count() == 1
    assert last_mail_to(owner.email).subject == "Keyportal: Two-factor authentication is off"


def test_typing_the_password_again_counts_against_the_sign_in_limit(owner, settings):
    settings.LOGIN_RATE_LIMIT = 2
    client = signed_in_on_the_page(owner)  # the first attempt
    authenticated_long_ago(client, owner)
    client.get(ACTIVATE)
    url = f"{reverse('account_reauthenticate')}?next={ACTIVATE}"

    wrong = client.post(url, {"password": "a guess"})
    refused = client.post(url, {"password": PASSWORD})

    assert wrong.status_code == 200
    assert TOO_MANY_ATTEMPTS.split(".")[0] in refused.content.decode()
    assert client.get(ACTIVATE)["Location"].startswith(reverse("account_reauthenticate"))


# The organization's rule -----------------------------------------------------------------


@pytest.fixture
def managers_rule(org):
    org.two_factor_rule = TwoFactorRule.MANAGERS
    org.save(update_fields=["two_factor_rule"])
    return org


def test_a_manager_without_two_factor_is_sent_to_set_it_up(owner, managers_rule):
    client = signed_in(owner)

    response = client.get(reverse("api-keys", args=[managers_rule.pk]), follow=True)

    assert response.redirect_chain[0] == (ACTIVATE, 302)
    assert TWO_FACTOR_REQUIRED in response.content.decode()


def test_once_set_up_the_organizations_pages_open(owner, managers_rule):
    with_totp(owner)

    response = signed_in(owner).get(reverse("api-keys", args=[managers_rule.pk]))

    assert response.status_code == 200


def test_the_managers_rule_leaves_members_alone(member, managers_rule):
    response = signed_in(member).get(reverse("members", args=[managers_rule.pk]))

    assert response.status_code == 200


def test_the_everyone_rule_binds_members_too(member, org):
    org.two_factor_rule = TwoFactorRule.EVERYONE
    org.save(update_fields=["two_factor_rule"])

    response = signed_in(member).get(reverse("members", args=[org.pk]))

    assert response["Location"] == ACTIVATE


def test_the_rule_binds_only_its_own_organizations_pages(owner, managers_rule, other_org):
    MembershipFactory(organization=other_org, user=owner, role=Role.OWNER)

    response = signed_in(owner).get(reverse("api-keys", args=[other_org.pk]))

    assert response.status_code == 200


def test_the_api_refuses_a_person_the_rule_binds(owner, managers_rule):
    client = signed_in(owner)

    created = client.post(
        KEYS, {"name": "Sync", "organization_id": str(managers_rule.pk)}, format="json"
    )
    audit = client.get("/api/audit-events/", {"organization_id": str(managers_rule.pk)})

    assert (created.status_code, created.json()["detail"]) == (403, TWO_FACTOR_REQUIRED)
    assert (audit.status_code, audit.json()["detail"]) == (403, TWO_FACTOR_REQUIRED)
    with_totp(owner)
    again = client.post(
        KEYS, {"name": "Sync", "organization_id": str(managers_rule.pk)}, format="json"
    )
    assert again.status_code == 201


@pytest.mark.parametrize(
    "path",
    [
        "/api/organizations/{id}/",
        "/api/organizations/{id}/members/",
        "/api/organizations/{id}/invitations/",
    ],
)
def test_the_organization_endpoints_refuse_a_person_the_rule_binds(owner, managers_rule, path):
    client = signed_in(owner)

    response = client.get(path.format(id=managers_rule.pk))

    assert (response.status_code, response.json()["detail"]) == (403, TWO_FACTOR_REQUIRED)
    with_totp(owner)
    assert client.get(path.format(id=managers_rule.pk)).status_code == 200


def test_the_api_refuses_an_access_token_the_rule_binds(owner, managers_rule):
    tokens = APIClient().post(
        "/api/auth/login", {"email": owner.email, "password": PASSWORD}, format="json"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access_token']}")

    response = client.get("/api/audit-events/", {"organization_id": str(managers_rule.pk)})

    assert (response.status_code, response.json()["detail"]) == (403, TWO_FACTOR_REQUIRED)


def test_an_api_key_is_bound_by_its_scopes_not_the_rule(key_client, managers_rule):
    client = key_client(scopes=("audit:read",))

    response = client.get("/api/audit-events/", {"organization_id": str(managers_rule.pk)})

    assert response.status_code == 200


# The admin -------------------------------------------------------------------------------


def test_in_production_staff_set_up_two_factor_before_the_admin_opens(superuser, settings):
    settings.ADMIN_REQUIRE_TWO_FACTOR = True
    client = signed_in(superuser)

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[0] == (ACTIVATE, 302)
    assert ADMIN_NEEDS_TWO_FACTOR in response.content.decode()
    with_totp(superuser)
    assert client.get("/admin/").status_code == 200


def test_without_the_requirement_the_admin_opens_for_staff_as_before(superuser):
    assert signed_in(superuser).get("/admin/").status_code == 200


def test_staff_signing_in_for_the_admin_are_asked_for_the_code(superuser, settings):
    settings.ADMIN_REQUIRE_TWO_FACTOR = True
    with_totp(superuser)
    client = Client()

    start = client.get("/admin/")
    asked = sign_in(client, superuser, next="/admin/")
    done = client.post(reverse("mfa_authenticate"), {"code": totp_code()})

    assert start["Location"].startswith("/admin/login/")
    assert asked["Location"] == reverse("mfa_authenticate")
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_without_an_authenticator_may_still_sign_out_of_the_admin(superuser, settings):
    settings.ADMIN_REQUIRE_TWO_FACTOR = True
    client = signed_in(superuser)

    response = client.post(reverse("admin:logout"))

    assert response.status_code in (200, 302)
    assert "_auth_user_id" not in client.session


class OrganizationMembersView(APIView):
    """A view whose URL names its organization `id`, as /api/organizations/{id}/… do."""

    permission_classes = [IsAuthenticated, TwoFactorSatisfied]
    organization_url_kwarg = "id"

    def get(self, request, id):
        return Response({"organization": str(id)})


def test_views_naming_the_organization_otherwise_apply_the_rule_too(owner, managers_rule):
    def get(user):
        request = APIRequestFactory().get("/")
        force_authenticate(request, user=user)
        return OrganizationMembersView.as_view()(request, id=managers_rule.pk)

    refused = get(owner)
    with_totp(owner)

    assert (refused.status_code, refused.data["detail"]) == (403, TWO_FACTOR_REQUIRED)
    assert get(owner).status_code == 200


@pytest.mark.parametrize("rule", [TwoFactorRule.OFF, TwoFactorRule.MANAGERS])
def test_a_page_checks_the_rule_on_the_organization_it_loads_anyway(owner, org, rule):
    # The middleware reads the organization and the role once; the page reuses them, so
    # the rule costs no query of its own (and with the rule off, none at all).
    org.two_factor_rule = rule
    org.save(update_fields=["two_factor_rule"])
    with_totp(owner)
    client = signed_in(owner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("api-keys", args=[org.pk])).status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum('AS "membership_role"' in sql for sql in statements) == 1
    assert not any(
        sql.startswith('SELECT "organizations_organization"."two_factor_rule"')
        for sql in statements
    )
