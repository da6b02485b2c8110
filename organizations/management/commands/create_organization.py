"""`create_organization NAME --owner EMAIL`: create an organization and print its id."""

from django.core.management.base import BaseCommand, CommandError

from core.audit import AuditContext
from core.errors import DomainError
from organizations import services
from organizations.models import User, normalize_login_email


class Command(BaseCommand):
    help = "Create an organization owned by an existing user and print the organization's id."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--owner", required=True, help="Email of an existing user.")

    def handle(self, *args, name, owner, **options):
        user = User.objects.filter(email=normalize_login_email(owner)).first()
        if user is None:
            raise CommandError(f"No user with email {owner!r}.")
        try:
            organization = services.organization_create(
                name=name,
                owner=user,
                context=AuditContext(request_id="manage.py:create_organization"),
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(str(organization.id))
