"""No admin is an oracle for password hashes or key digests, whatever the relation.

`?password__startswith=argon2` filtered the user list: staff could recover a stored hash
a character at a time. Every registered ModelAdmin refuses such lookups and never searches,
sorts, filters or displays a secret field.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse

from organizations.admin.memberships import MembershipInline
from organizations.admin.secrets import SECRET_FIELDS, HidesSecretFields, touches_secret

USERS = reverse("admin:organizations_user_changelist")
ORGS = reverse("admin:organizations_organization_changelist")
PROJECT_APPS = {"apikeys", "core", "organizations"}
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def page_text(response) -> str:
    """The page without its CSRF token, which is masked afresh on every render."""
    return CSRF_TOKEN.sub("", response.content.decode())


def slices(secret: str, size: int = 16) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


@pytest.fixture
def request_as(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    return request


def project_admins():
    return [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ]


# Oracle URLs ---------------------------------------------------------------------------


def test_filtering_users_by_password_or_key_digest_is_refused(root_client, owner, make_key):
    key, _ = make_key()
    hash_start, digest_start = owner.password[:6], key.hashed_key[:2]
    urls = [
        f"{USERS}?password__startswith={hash_start}",
        f"{USERS}?password={owner.password}",
        f"{USERS}?password__contains=$",
        f"{USERS}?api_keys__hashed_key__startswith={digest_start}",
        f"{USERS}?memberships__organization__api_keys__hashed_key__startswith={digest_start}",
        f"{ORGS}?api_keys__hashed_key__startswith={digest_start}",
        f"{ORGS}?memberships__user__password__startswith={hash_start}",
        f"{ORGS}?api_keys__created_by__password__startswith={hash_start}",
    ]

    for url in urls:
        response = root_client.get(url)

        # A refused lookup is Django's DisallowedModelAdminLookup: a 400, never rows, never 500.
        assert response.status_code == 400, url
        assert owner.email not in response.content.decode(), url


def test_a_right_and_a_wrong_password_guess_get_the_same_answer(root_client, owner):
    right = owner.password[:6]
    wrong = "zz" + right[2:]

    answers = [root_client.get(USERS, {"password__startswith": g}) for g in (right, wrong)]

    assert [a.status_code for a in answers] == [400, 400]
    assert page_text(answers[0]) == page_text(answers[1])


def test_ordinary_user_and_organization_filters_still_work(root_client, org, owner):
    users = root_client.get(USERS, {"is_staff__exact": "0", "q": "owner@"})
    orgs = root_client.get(ORGS, {"q": "Happy", "o": "-1"})

    assert users.status_code == orgs.status_code == 200
    assert owner.email in users.content.decode()
    assert org.name in orgs.content.decode()


def test_the_user_pages_never_render_the_password_hash(root_client, owner):
    pages = [
        root_client.get(USERS),
        root_client.get(reverse("admin:organizations_user_change", args=[owner.pk])),
    ]

    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        assert not any(part in html for part in slices(owner.password))


# Every ModelAdmin ----------------------------------------------------------------------


def test_every_project_admin_and_inline_hides_secret_fields():
    admins = project_admins()

    assert {type(a).__name__ for a in admins} >= {
        "APIKeyAdmin",
        "AuditEventAdmin",
        "OrganizationAdmin",
        "UserAdmin",
    }
    for model_admin in [*admins, MembershipInline]:
        cls = model_admin if isinstance(model_admin, type) else type(model_admin)
        # First among the bases, so its refusals run before any other class's allowances.
        assert cls.__mro__[1] is HidesSecretFields, cls.__name__


@pytest.mark.parametrize("secret", sorted(SECRET_FIELDS))
@pytest.mark.parametrize("via", ["", "api_key__", "created_by__", "user__", "api_keys__"])
def test_no_project_admin_allows_a_lookup_through_a_secret(request_as, secret, via):
    lookups = [f"{via}{secret}", f"{via}{secret}__startswith", f"{via}{secret}__regex"]
    inline = MembershipInline(MembershipInline.model, admin.site)

    for model_admin in [*project_admins(), inline]:
        for lookup in lookups:
            assert not model_admin.lookup_allowed(lookup, "ab", request_as), (
                type(model_admin).__name__,
                lookup,
            )
        assert not model_admin.to_field_allowed(request_as, secret)


def test_no_registered_admin_searches_sorts_filters_or_shows_a_secret(request_as, make_key):
    make_key()  # a key, an audit event, an organization, users: every admin has a row
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.first()
        options = {
            "search_fields": model_admin.get_search_fields(request_as),
            "list_filter": model_admin.get_list_filter(request_as),
            "list_display": model_admin.get_list_display(request_as),
            "ordering": model_admin.get_ordering(request_as) or (),
            "sortable_by": model_admin.get_sortable_by(request_as),
            "readonly_fields": model_admin.get_readonly_fields(request_as, obj),
            "date_hierarchy": [model_admin.date_hierarchy or ""],
        }
        for option, items in options.items():
            leaking = [item for item in items if touches_secret(item)]
            assert not leaking, (type(model_admin).__name__, option, leaking)


@pytest.mark.parametrize(
    ("item", "secret"),
    [
        ("hashed_key", True),
        ("-hashed_key", True),
        ("^password", True),
        ("=api_key__hashed_key", True),
        ("created_by__password__startswith", True),
        (("api_key__hashed_key", object), True),
        ("name", False),
        ("organization__name", False),
        ("password_changed", False),
        ("-created_at", False),
        ("__str__", False),
        (len, False),
    ],
)
def test_touches_secret_reads_every_part_of_a_path(item, secret):
    assert touches_secret(item) is secret


def test_touches_secret_reads_expressions_too():
    assert touches_secret(F("hashed_key").desc())
    assert touches_secret(F("user__password"))
    assert not touches_secret(F("created_at").asc())
