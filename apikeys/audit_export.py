"""The audit log as a file: CSV for spreadsheets, newline-delimited JSON for programs.

One module for both doors, the Audit log tab's export links and
`GET /api/audit-events/export/`: the row formats and the streamed response.

An organization may hold a million events, so nothing here holds them all. The rows come
from `QuerySet.iterator()` a chunk at a time (PostgreSQL: a server-side cursor; SQLite:
`fetchmany`) and leave as they are formatted. The generator touches the database only
when the server starts sending the body, after the view has returned: so it runs in
autocommit, where Django declares PostgreSQL's cursor `WITH HOLD` and no transaction
stays open while a slow client downloads. Starting it inside an `atomic()` block that
ends before the download does would close the cursor under it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from apikeys.api.serializers.audit import AuditEventSerializer
from core.models import AuditAction, AuditEvent
from organizations.models import Organization

CSV = "csv"
NDJSON = "ndjson"
FILE_FORMATS = (CSV, NDJSON)
MEDIA_TYPES = {CSV: "text/csv", NDJSON: "application/x-ndjson"}

CSV_COLUMNS = (
    "created_at",
    "action",
    "action_label",
    "organization_id",
    "actor_email",
    "actor_id",
    "actor_key_prefix",
    "api_key_id",
    "key_prefix",
    "ip",
    "request_id",
    "details",
)

# Rows per database round trip (a FETCH from PostgreSQL's cursor, a `fetchmany` on SQLite).
CHUNK_SIZE = 2000
# Rows per write to the client: one write per row would cost a system call (and a chunk
# header) for every 200 bytes.
ROWS_PER_WRITE = 500

# A spreadsheet runs a cell starting with one of these as a formula: an actor's email or a
# client's X-Request-ID starting with `=`, `+`, `-` or `@` could compute, or exfiltrate data
# through a link, in the owner's spreadsheet. Such a cell gets a leading `'`, which the
# spreadsheet shows as text (OWASP's advice for CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Return `value` as a CSV cell no spreadsheet evaluates."""
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def _compact_json(value: Any) -> str:
    return json.dumps(value, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))


# Read once: `get_action_display()` would rebuild the choices for every row.
ACTION_LABELS = dict(AuditAction.choices)

Row = dict[str, Any]


def _representer(serializer: AuditEventSerializer) -> Callable[[Row], Row]:
    """Return what turns a `.values()` row into `serializer`'s representation of the event.

    The serializer's own fields convert each value, as its `to_representation` would, but
    without its per-row machinery (attribute lookups, a model instance per row), which
    took most of an export's time.
    """
    fields = [
        (name, field.source, field.to_representation) for name, field in serializer.fields.items()
    ]

    def represent(row: Row) -> Row:
        return {
            name: None if (value := row[source]) is None else convert(value)
            for name, source, convert in fields
        }

    return represent


def csv_cells(fields: Row, *, actor_key_prefix: str | None) -> list[str]:
    """Return the CSV cells of an event, given its API representation `fields`.

    The values are the API's (one source of truth); the CSV adds the action's label and the
    prefix of the key the change was made with.
    """
    values = {
        **fields,
        "action_label": ACTION_LABELS.get(fields["action"], fields["action"]),
        "actor_key_prefix": actor_key_prefix,
        "details": _compact_json(fields["details"]) if fields["details"] else "",
    }
    cells = (values[column] for column in CSV_COLUMNS)
    return [spreadsheet_safe("" if value is None else str(value)) for value in cells]


class _Echo:
    """A file whose `write` returns what it was given: `csv.writer` formats, we send."""

    def write(self, value: str) -> str:
        return value


def export_lines(events: QuerySet[AuditEvent], file_format: str) -> Iterator[str]:
    """Yield the export of `events` line by line: a CSV header and rows, or JSON lines.

    Each JSON line is an event exactly as `GET /api/audit-events/` lists it.
    `events` carries `actor_key_prefix` (`selectors.audit_events_for_export`).
    """
    serializer = AuditEventSerializer()
    represent = _representer(serializer)
    sources = [field.source for field in serializer.fields.values()]
    rows = events.values(*sources, "actor_key_prefix").iterator(chunk_size=CHUNK_SIZE)
    if file_format == CSV:
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_COLUMNS)
        for row in rows:
            cells = csv_cells(represent(row), actor_key_prefix=row["actor_key_prefix"])
            yield writer.writerow(cells)
    else:
        for row in rows:
            yield _compact_json(represent(row)) + "\n"


def export_chunks(events: QuerySet[AuditEvent], file_format: str) -> Iterator[str]:
    """Yield the export in pieces of `ROWS_PER_WRITE` lines."""
    batch: list[str] = []
    for line in export_lines(events, file_format):
        batch.append(line)
        if len(batch) == ROWS_PER_WRITE:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


class _ServedAsynchronously:
    """Hand the export to an ASGI server one piece at a time.

    Under ASGI, Django serves a synchronous iterator by first reading it whole into a list:
    the export would sit in memory. This iterator instead runs each step in the request's
    own thread (`thread_sensitive`), where its database connection and cursor live.
    `close()` (called by the response's) closes the cursor even after a client went away.
    """

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[str]:
        step = sync_to_async(next, thread_sensitive=True)
        while (chunk := await step(self._chunks, None)) is not None:
            yield chunk

    def close(self) -> None:
        self._chunks.close()  # type: ignore[attr-defined]


def export_filename(organization: Organization, file_format: str) -> str:
    """Name the file `audit-<organization slug>-<today>.<csv|ndjson>`."""
    # A slug is `[a-z0-9-]` only: nothing in it can break out of the header's quotes.
    return f"audit-{organization.slug}-{timezone.localdate().isoformat()}.{file_format}"


def export_response(
    request: HttpRequest,
    events: QuerySet[AuditEvent],
    *,
    organization: Organization,
    file_format: str,
) -> StreamingHttpResponse:
    """Stream `events` as a `file_format` attachment, never cached.

    No query runs here: the rows are read as the server sends them.
    """
    chunks = export_chunks(events, file_format)
    content = _ServedAsynchronously(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(
        content, content_type=f"{MEDIA_TYPES[file_format]}; charset=utf-8"
    )
    filename = export_filename(organization, file_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Emails and IPs: no shared or browser cache keeps a copy.
    response["Cache-Control"] = "no-store"
    return response
