"""`list_api_keys [--organization ID]`: a table of keys; never a secret or a digest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from apikeys.management.cli import organization_by_id
from apikeys.models import APIKey

HEADERS = ("ID", "PREFIX", "NAME", "ORGANIZATION", "STATUS", "DEFAULT", "LAST USED")
NO_KEYS = "No API keys."


class Command(BaseCommand):
    help = "List API keys (all, or one organization's) with their effective status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="Only this organization's keys (its id).")

    def handle(self, *args: Any, **options: Any) -> None:
        queryset = APIKey.objects.select_related("organization").order_by(
            "organization__name", "-created_at"
        )
        if options["organization"]:
            queryset = queryset.filter(organization=organization_by_id(options["organization"]))
        now = timezone.now()
        rows = [
            (
                str(key.pk),
                key.prefix,
                key.name,
                key.organization.name,
                key.effective_status(now),
                "yes" if key.is_effective_default(now) else "",
                _utc(key.last_used_at) if key.last_used_at else "never",
            )
            for key in queryset
        ]
        if not rows:
            self.stdout.write(NO_KEYS)
            return
        widths = [max(len(row[i]) for row in (HEADERS, *rows)) for i in range(len(HEADERS))]
        for row in (HEADERS, *rows):
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
