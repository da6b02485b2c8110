"""`create_api_key`: create a key through the lifecycle and print its plaintext last."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from apikeys import services
from apikeys.management.cli import command_context, organization_by_id, user_by_email
from apikeys.models import Mode
from core.errors import DomainError

MAX_EXPIRY_DAYS = 36500
EXPIRES_IN_DAYS_INVALID = f"--expires-in-days must be a whole number from 1 to {MAX_EXPIRY_DAYS}."
STORE_IT_NOW = "Store the key now: it is shown only this once."


class Command(BaseCommand):
    help = (
        "Create an API key acting as --user (an owner or admin of the organization, or staff) "
        "and print it alone on the last line of standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, help="The organization's id.")
        parser.add_argument(
            "--user",
            required=True,
            help="Email of the user the key acts as; also the audited actor.",
        )
        parser.add_argument("--name", required=True)
        parser.add_argument("--mode", choices=Mode.values, default=Mode.LIVE)
        parser.add_argument(
            "--scopes",
            help="Comma-separated scope names (default: APIKEYS_DEFAULT_SCOPES).",
        )
        parser.add_argument("--expires-in-days", type=int, help="Days until the key expires.")

    @sensitive_variables()
    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_by_id(options["organization"])
        user = user_by_email(options["user"])
        scopes = None
        if options["scopes"] is not None:
            scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        expires_at = None
        days = options["expires_in_days"]
        if days is not None:
            if not 1 <= days <= MAX_EXPIRY_DAYS:
                raise CommandError(EXPIRES_IN_DAYS_INVALID)
            expires_at = timezone.now() + timedelta(days=days)
        try:
            key, raw = services.api_key_create(
                organization=organization,
                actor=user,
                name=options["name"],
                mode=options["mode"],
                scopes=scopes,
                expires_at=expires_at,
                context=command_context("create_api_key"),
                acting_key=None,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        expiry = key.expires_at.isoformat() if key.expires_at else "never"
        self.stdout.write(
            f"Created API key {key.name!r} ({key.prefix}), id {key.pk}, in {organization.name}, "
            f"acting as {user.email}."
        )
        self.stdout.write(f"Mode: {key.mode}. Scopes: {', '.join(key.scopes) or 'none'}.")
        self.stdout.write(f"Expires: {expiry}. {STORE_IT_NOW}")
        self.stdout.write(raw)
