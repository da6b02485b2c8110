"""Error pages: the project's own HTML for people, JSON `{"detail"}` under /api/."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_missing_page_uses_the_project_layout(client, owner):
    client.force_login(owner)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "portal/portal.css" in response.content.decode()


def test_a_forbidden_page_explains_the_role(client, member, org):
    from django.urls import reverse

    client.force_login(member)
    response = client.get(reverse("api-key-create", args=[org.pk]))
    assert response.status_code == 403
    assert "doesn't allow this action" in response.content.decode()


def test_api_errors_are_json_never_html(client):
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
