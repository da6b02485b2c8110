"""`revoke_api_key KEY --user EMAIL`: revoke a key, audited as the named operator.

The operator must name who acts (`--user`): the service checks that this user may manage
the key's organization (owners, admins and staff may) and the audit trail records them.
Acting silently as the key's creator would attribute the revocation to the wrong person.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apikeys import services
from apikeys.management.cli import command_context, key_by_id_or_prefix, user_by_email
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Revoke an API key, given its id, its display prefix or its full plaintext, acting "
        "as --user (an owner or admin of the key's organization, or staff). Cannot be undone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="The key's id, display prefix or full plaintext.")
        parser.add_argument(
            "--user", required=True, help="Email of the user revoking it (audited as actor)."
        )

    def handle(self, *args: Any, key: str, user: str, **options: Any) -> None:
        api_key = key_by_id_or_prefix(key)
        actor = user_by_email(user)
        try:
            services.api_key_revoke(
                key=api_key, actor=actor, context=command_context("revoke_api_key"), acting_key=None
            )
        except DomainError as error:
            raise CommandError(f"{api_key.prefix}: {error.message}") from error
        self.stdout.write(
            f"Revoked API key {api_key.name!r} ({api_key.prefix}) in "
            f"{api_key.organization.name}, as {actor.email}."
        )
