"""APIKeyAuthentication and the permission helpers, through a downstream DRF endpoint."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apikeys import authentication as auth
from apikeys import conf, services
from apikeys.models import APIKey, KeyStatus
from apikeys.permissions import MISSING_SCOPE, WRONG_ORGANIZATION
from organizations import services as org_services
from organizations.models import Membership
from organizations.permissions import NOT_A_MANAGER
from tests.factories import APIKeyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.downstream")]


@pytest.fixture
def key_and_raw(make_key):
    return make_key(scopes=["records:read"])


def get(headers, path="/records/", data=None):
    return APIClient().get(path, data, headers=headers)


@pytest.mark.parametrize(
    "header",
    ["Authorization", "X-API-Key", "Api-Key"],
)
def test_each_supported_header_authenticates_as_the_keys_creator(key_and_raw, owner, header):
    key, raw = key_and_raw
    value = f"Bearer {raw}" if header == "Authorization" else raw
    response = get({header: value})
    assert response.status_code == 200
    assert response.json() == {"user": owner.email, "key": key.prefix, "role": "owner"}


def test_the_bearer_scheme_is_case_insensitive(key_and_raw):
    assert get({"Authorization": f"bearer {key_and_raw[1]}"}).status_code == 200


def test_the_same_key_in_two_headers_is_fine(key_and_raw):
    raw = key_and_raw[1]
    assert get({"Authorization": f"Bearer {raw}", "X-API-Key": raw}).status_code == 200


def test_two_different_keys_are_a_400_not_a_guess(key_and_raw, make_key):
    _, other = make_key(scopes=["records:read"])
    response = get({"Authorization": f"Bearer {key_and_raw[1]}", "X-API-Key": other})
    assert response.status_code == 400
    assert response.json()["detail"] == auth.CONFLICTING_KEYS


def test_a_key_in_the_query_string_is_refused(key_and_raw):
    response = APIClient().get("/records/", {"api_key": key_and_raw[1]})
    assert response.status_code == 400
    assert response.json()["detail"] == auth.KEY_IN_URL


def test_the_header_list_is_a_setting(key_and_raw, settings):
    settings.APIKEYS_HEADERS = ["X-Clinic-Key"]
    assert get({"X-Clinic-Key": key_and_raw[1]}).status_code == 200
    assert get({"X-API-Key": key_and_raw[1]}).status_code == 401


def assert_refused(response, message):
    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_no_key_is_a_401_with_the_bearer_challenge():
    response = get({})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("value", ["", "not-a-key", "kp_test_" + "é" * 49, "xx_live_" + "A" * 49])
def test_malformed_keys_are_invalid(value):
    assert_refused(get({"X-API-Key": value}), auth.INVALID_KEY)


@pytest.mark.parametrize("value", ["kp_live_short", "kp_live_" + "A" * 49])
def test_a_mistyped_or_cut_short_key_says_so(value, key_and_raw):
    _, raw = key_and_raw
    assert_refused(get({"X-API-Key": value}), auth.KEY_MISTYPED)
    assert_refused(get({"X-API-Key": raw[:-1]}), auth.KEY_MISTYPED)


@pytest.mark.parametrize("template", ["{key}", "Token {key}", "Api-Key {key}", "token  {key}"])
def test_a_key_under_another_scheme_in_authorization_says_how_to_send_it(template, key_and_raw):
    _, raw = key_and_raw
    response = get({"Authorization": template.format(key=raw)})
    assert_refused(response, auth.KEY_NEEDS_BEARER)


def test_other_schemes_without_our_key_are_left_to_other_authenticators():
    response = get({"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_an_access_token_where_a_key_is_wanted_says_which_credential_the_endpoint_wants():
    jwt_shaped = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl"
    assert_refused(get({"Authorization": f"Bearer {jwt_shaped}"}), auth.ACCESS_TOKEN_NOT_ACCEPTED)


def test_a_well_formed_key_nobody_issued_is_invalid(key_and_raw):
    from apikeys import keys

    forged, _ = keys.generate("kp", "live")
    assert_refused(get({"X-API-Key": forged}), auth.INVALID_KEY)


def test_a_key_with_a_known_prefix_but_wrong_secret_is_invalid(key_and_raw):
    from apikeys import keys

    _key, raw = key_and_raw
    body = raw[len("kp_live_") : -6]
    tampered_body = body[:8] + ("A" if body[8] != "A" else "B") + body[9:]
    head = f"kp_live_{tampered_body}"
    assert_refused(get({"X-API-Key": head + keys.checksum(head)}), auth.INVALID_KEY)


def test_a_revoked_key_is_refused_on_the_very_next_request(key_and_raw, owner):
    key, raw = key_and_raw
    assert get({"X-API-Key": raw}).status_code == 200
    services.api_key_revoke(key=key, actor=owner, acting_key=None)
    assert_refused(get({"X-API-Key": raw}), auth.KEY_REVOKED)


def test_a_paused_key_is_refused_until_resumed(key_and_raw, owner):
    key, raw = key_and_raw
    services.api_key_pause(key=key, actor=owner, acting_key=None)
    assert_refused(get({"X-API-Key": raw}), auth.KEY_PAUSED)
    services.api_key_resume(key=key, actor=owner, acting_key=None)
    assert get({"X-API-Key": raw}).status_code == 200


def test_an_expired_key_is_refused_without_any_cron_job(key_and_raw):
    key, raw = key_and_raw
    APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(get({"X-API-Key": raw}), auth.KEY_EXPIRED)


def test_a_rotated_key_works_during_its_grace_period_only(key_and_raw, owner):
    key, raw = key_and_raw
    _, new_raw = services.api_key_rotate(
        key=key, actor=owner, grace_period_seconds=60, acting_key=None
    )
    assert get({"X-API-Key": raw}).status_code == 200
    assert get({"X-API-Key": new_raw}).status_code == 200
    APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(get({"X-API-Key": raw}), auth.KEY_EXPIRED)
    assert get({"X-API-Key": new_raw}).status_code == 200


def test_a_removed_creator_stops_the_key(key_and_raw, owner, org, admin):
    _, raw = key_and_raw
    Membership.objects.filter(organization=org, user=admin).update(role="owner")
    org_services.member_remove(organization=org, actor=admin, user=owner, acting_key=None)
    assert_refused(get({"X-API-Key": raw}), auth.KEY_REVOKED)


def test_a_creator_whose_membership_vanished_behind_the_services_stops_the_key(
    key_and_raw, owner, org
):
    _, raw = key_and_raw
    Membership.objects.filter(organization=org, user=owner).delete()
    assert_refused(get({"X-API-Key": raw}), auth.CREATOR_NOT_MEMBER)


def test_a_deactivated_creator_stops_the_key(key_and_raw, owner):
    _, raw = key_and_raw
    owner.is_active = False
    owner.save()
    assert_refused(get({"X-API-Key": raw}), auth.CREATOR_INACTIVE)


def test_a_deleted_organization_stops_its_keys(key_and_raw, org):
    _, raw = key_and_raw
    org.delete()
    assert_refused(get({"X-API-Key": raw}), auth.INVALID_KEY)


def test_a_demoted_creator_keeps_reading_with_the_member_role(key_and_raw, owner, org, admin):
    _, raw = key_and_raw
    Membership.objects.filter(organization=org, user=owner).update(role="member")
    assert get({"X-API-Key": raw}).json()["role"] == "member"


def test_a_key_acts_only_in_its_own_organization(key_and_raw, org, other_org):
    _, raw = key_and_raw
    assert get({"X-API-Key": raw}, path=f"/orgs/{org.pk}/records/").status_code == 200
    response = get({"X-API-Key": raw}, path=f"/orgs/{other_org.pk}/records/")
    assert response.status_code == 403
    assert response.json()["detail"] == WRONG_ORGANIZATION
    response = get({"X-API-Key": raw}, data={"organization_id": str(other_org.pk)})
    assert response.status_code == 403
    response = APIClient().post(
        "/records/",
        {"organization_id": str(other_org.pk)},
        format="json",
        headers={"X-API-Key": raw},
    )
    assert response.status_code == 403


def test_an_organization_id_is_a_uuid_in_any_spelling_and_garbage_is_refused(key_and_raw, org):
    _, raw = key_and_raw
    for spelling in (str(org.pk).upper(), org.pk.hex):
        assert get({"X-API-Key": raw}, data={"organization_id": spelling}).status_code == 200
    response = get({"X-API-Key": raw}, data={"organization_id": "not-a-uuid"})
    assert response.status_code == 403
    assert response.json()["detail"] == WRONG_ORGANIZATION


def test_a_missing_scope_is_named_in_the_403(make_key):
    _, raw = make_key(scopes=["devices:read"])
    response = get({"X-API-Key": raw})
    assert response.status_code == 403
    assert response.json()["detail"] == MISSING_SCOPE.format(scope="records:read")


def test_require_scopes_adds_to_the_views_own_required_scopes(make_key):
    _, records_only = make_key(scopes=["records:read"])
    _, both = make_key(scopes=["records:read", "devices:read"])

    refused = get({"X-API-Key": records_only}, path="/devices/")

    assert refused.status_code == 403
    assert refused.json()["detail"] == MISSING_SCOPE.format(scope="devices:read")
    assert get({"X-API-Key": both}, path="/devices/").status_code == 200


def test_key_management_needs_the_manage_scope_and_a_manager_behind_the_key(
    make_key, org, owner, admin
):
    _, without_scope = make_key(scopes=["records:read"])
    _, manager_key = make_key(scopes=["api_keys:manage"])
    _, member_key = make_key(scopes=["api_keys:manage"], created_by=admin)
    Membership.objects.filter(organization=org, user=admin).update(role="member")

    no_scope = get({"X-API-Key": without_scope}, path="/manage/")
    assert no_scope.status_code == 403
    assert no_scope.json()["detail"] == MISSING_SCOPE.format(scope="api_keys:manage")
    not_manager = get({"X-API-Key": member_key}, path="/manage/")
    assert not_manager.status_code == 403
    assert not_manager.json()["detail"] == NOT_A_MANAGER
    assert get({"X-API-Key": manager_key}, path="/manage/").status_code == 200


# Run in autocommit, as requests are: inside a transaction (the test's own, by default) the
# usage write takes a savepoint, two statements more (apikeys.usage.flush_quietly).
@pytest.mark.django_db(transaction=True)
def test_last_used_is_written_once_per_interval(key_and_raw, django_assert_num_queries):
    key, raw = key_and_raw
    # The lookup, the first last-used write, and the usage so far (this request).
    with django_assert_num_queries(3):
        assert get({"X-API-Key": raw}).status_code == 200
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None
    with django_assert_num_queries(1):  # within the interval: the lookup alone, no write
        assert get({"X-API-Key": raw}).status_code == 200
    APIKey.objects.filter(pk=key.pk).update(last_used_at=first_use - timedelta(seconds=61))
    # The lookup, the last-used write, and the counts of the requests before it, in one upsert.
    with django_assert_num_queries(3):
        get({"X-API-Key": raw})
    key.refresh_from_db()
    assert key.last_used_at > first_use


def test_a_key_issued_by_a_staff_user_outside_the_organization_acts_as_admin(org, staff):
    key = APIKeyFactory(organization=org, created_by=staff, scopes=["records:read"])
    response = get({"X-API-Key": key.raw})
    assert response.status_code == 200 and response.json()["role"] == "admin"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(["HTTP_AUTHORIZATION", "HTTP_X_API_KEY", "HTTP_API_KEY"]),
    value=st.one_of(
        st.text(max_size=300),
        st.builds(lambda s: "Bearer " + s, st.text(max_size=120)),
        st.builds(lambda s: "kp_live_" + s, st.text(alphabet=st.characters(), max_size=60)),
    ),
)
def test_arbitrary_header_values_never_cause_a_server_error(key_and_raw, header, value):
    client = APIClient()
    try:
        response = client.get("/records/", **{header: value})
    except ValueError:
        return  # the test client itself refuses header values with newlines
    assert response.status_code in (200, 400, 401, 403)
    assert APIKey.objects.get(pk=key_and_raw[0].pk).status == KeyStatus.ACTIVE


def test_keys_hashed_under_an_older_scheme_keep_working_after_a_new_one_ships(
    key_and_raw, monkeypatch
):
    # A future scheme (here: a different HMAC label) becomes the default for new keys;
    # rows keep their version, so existing keys still authenticate.
    import hashlib
    import hmac as hmac_module

    from apikeys import keys

    key, raw = key_and_raw
    assert key.hash_version == 1
    monkeypatch.setitem(
        keys._DIGESTERS,
        2,
        lambda r, p: hmac_module.new(p, b"v2:" + r.encode(), hashlib.sha256).hexdigest(),
    )
    monkeypatch.setattr(keys, "HASH_VERSION", 2)
    assert get({"X-API-Key": raw}).status_code == 200
    new_key, new_raw = services.api_key_create(
        organization=key.organization,
        actor=key.created_by,
        name="new",
        scopes=["records:read"],
        acting_key=None,
    )
    assert new_key.hash_version == 2
    assert new_key.hashed_key == keys._DIGESTERS[2](new_raw, conf.pepper())
    assert get({"X-API-Key": new_raw}).status_code == 200


def test_changing_the_pepper_invalidates_every_key(key_and_raw, settings):
    _, raw = key_and_raw
    settings.APIKEYS_PEPPER = "a-new-pepper-from-the-environment"
    assert_refused(get({"X-API-Key": raw}), auth.INVALID_KEY)


def test_the_brand_is_a_setting(make_key, settings):
    settings.APIKEYS_BRAND = "nxvet"
    key, raw = make_key(scopes=["records:read"])
    assert raw.startswith("nxvet_live_") and key.prefix.startswith("nxvet_live_")
    assert get({"Authorization": f"Bearer {raw}"}).status_code == 200
    settings.APIKEYS_BRAND = "kp"
    assert_refused(get({"Authorization": f"Bearer {raw}"}), auth.INVALID_KEY)
