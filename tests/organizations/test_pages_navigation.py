"""Getting into the Integrations pages: the landing redirect, the switcher, who sees what."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from organizations.pages import CURRENT_ORGANIZATION_SESSION_KEY
from organizations.views.navigation import SWITCH_REFUSED
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def org_pages(org) -> list[str]:
    return [
        reverse("api-keys", args=[org.pk]),
        reverse("api-key-create", args=[org.pk]),
        reverse("api-key-created", args=[org.pk]),
        reverse("members", args=[org.pk]),
        reverse("audit-log", args=[org.pk]),
    ]


def test_signed_out_visitors_are_sent_to_sign_in():
    response = Client().get(reverse("integrations"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_integrations_opens_the_users_first_organization_by_name(owner, org):
    earlier = OrganizationFactory(name="Aardvark Vets")
    MembershipFactory(organization=earlier, user=owner, role=Role.MEMBER)
    response = signed_in(owner).get(reverse("integrations"))
    assert response["Location"] == reverse("api-keys", args=[earlier.pk])


def test_the_switcher_remembers_the_chosen_organization(owner, org):
    second = OrganizationFactory(name="Aardvark Vets")
    MembershipFactory(organization=second, user=owner, role=Role.MEMBER)
    client = signed_in(owner)
    response = client.post(reverse("switch-organization"), {"organization": str(org.pk)})
    assert response["Location"] == reverse("api-keys", args=[org.pk])
    assert client.session[CURRENT_ORGANIZATION_SESSION_KEY] == str(org.pk)
    assert client.get(reverse("integrations"))["Location"] == reverse("api-keys", args=[org.pk])


def test_the_switcher_also_works_as_a_plain_get_form(owner, org):
    client = signed_in(owner)
    response = client.get(reverse("switch-organization"), {"organization": str(org.pk)})
    assert response["Location"] == reverse("api-keys", args=[org.pk])


@pytest.mark.parametrize("choice", ["not-a-uuid", "", "00000000-0000-0000-0000-000000000000"])
def test_the_switcher_refuses_anything_but_the_users_organizations(owner, choice):
    client = signed_in(owner)
    response = client.post(reverse("switch-organization"), {"organization": choice})
    assert response["Location"] == reverse("integrations")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [SWITCH_REFUSED]
    assert CURRENT_ORGANIZATION_SESSION_KEY not in client.session


def test_the_switcher_will_not_remember_another_organization(owner, other_org):
    client = signed_in(owner)
    response = client.post(reverse("switch-organization"), {"organization": str(other_org.pk)})
    assert response["Location"] == reverse("integrations")
    assert CURRENT_ORGANIZATION_SESSION_KEY not in client.session


def test_a_remembered_organization_the_user_has_left_is_forgotten(owner, org, other_org):
    client = signed_in(owner)
    session = client.session
    session[CURRENT_ORGANIZATION_SESSION_KEY] = str(other_org.pk)
    session.save()
    assert client.get(reverse("integrations"))["Location"] == reverse("api-keys", args=[org.pk])


def test_the_switcher_lists_every_organization_of_the_user(owner, org):
    second = OrganizationFactory(name="Zebra Vets")
    MembershipFactory(organization=second, user=owner, role=Role.ADMIN)
    html = signed_in(owner).get(reverse("api-keys", args=[org.pk])).content.decode()
    assert 'action="/integrations/switch/"' in html
    assert f'<option value="{org.pk}" selected>Happy Paws Clinic</option>' in html
    assert f'<option value="{second.pk}">Zebra Vets</option>' in html


def test_a_user_without_an_organization_sees_a_friendly_page():
    user = UserFactory(email="lonely@example.com")
    response = signed_in(user).get(reverse("integrations"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are not in an organization yet" in html
    assert reverse("admin:index") not in html


def test_staff_without_an_organization_get_a_link_to_the_admin(staff):
    response = signed_in(staff).get(reverse("integrations"))
    assert "You are not in an organization yet" in response.content.decode()
    assert f'href="{reverse("admin:index")}"' in response.content.decode()


def test_outsiders_get_404_on_every_page_of_another_organization(outsider, org):
    client = signed_in(outsider)
    for url in org_pages(org):
        response = client.get(url)
        assert response.status_code == 404, url


def test_an_unknown_organization_is_a_404_even_for_staff(staff):
    url = reverse("api-keys", args=["00000000-0000-0000-0000-000000000000"])
    assert signed_in(staff).get(url).status_code == 404


def test_the_404_says_nothing_about_whether_the_organization_exists(outsider, org):
    response = signed_in(outsider).get(reverse("api-keys", args=[org.pk]))
    assert "Happy Paws" not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("owner", ["api-keys", "members", "audit-log"]),
        ("admin", ["api-keys", "members", "audit-log"]),
        ("member", ["api-keys", "members"]),  # the audit log holds emails and IPs
        ("staff", ["api-keys", "members", "audit-log"]),
    ],
)
def test_every_role_and_staff_can_open_every_tab_they_are_shown(request, org, who, shown):
    client = signed_in(request.getfixturevalue(who))
    tabs = client.get(reverse("api-keys", args=[org.pk])).context["tabs"]
    assert [slug for slug, _, _ in tabs] == shown
    for _, _, url in tabs:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "API Keys" in response.content.decode()


def test_staff_see_the_organization_they_visit_in_the_switcher(staff, org):
    html = signed_in(staff).get(reverse("api-keys", args=[org.pk])).content.decode()
    assert f'<option value="{org.pk}" selected>Happy Paws Clinic</option>' in html


def test_the_tab_bar_marks_the_current_tab(owner, org):
    html = signed_in(owner).get(reverse("members", args=[org.pk])).content.decode()
    assert f'<a href="{reverse("members", args=[org.pk])}" aria-current="page">Members</a>' in html
    assert f'<a href="{reverse("audit-log", args=[org.pk])}">Audit log</a>' in html


def test_the_organization_root_opens_the_api_keys_tab(owner, org):
    response = signed_in(owner).get(f"/orgs/{org.pk}/integrations/")
    assert response["Location"] == reverse("api-keys", args=[org.pk])


def test_the_sign_in_page_still_renders_without_an_organization():
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert "Sign in" in response.content.decode()
