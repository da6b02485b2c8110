"""`invite EMAIL --organization ORG --role ROLE`: email an invitation, as the operator.

How an operator starts an organization on a server whose sign-up is closed: invite its
first owner, who signs up with that address through the link and accepts. The event is
audited with no user as actor (an operator on the server) and the request id
`manage.py:invite`. The link's token is printed only with `--print-link`, since whoever
holds it can join as the invited address.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from core.audit import AuditContext
from core.errors import DomainError
from core.ids import parse_uuid
from organizations import services
from organizations.models import Organization, Role

ORGANIZATION_NOT_FOUND = "No organization has the id or name {value!r}."
ORGANIZATION_AMBIGUOUS = "Several organizations are named {value!r}: give its id instead."
SENT = "Invitation emailed to {email} to join {organization} as {role}."
CONTEXT = AuditContext(request_id="manage.py:invite")


class Command(BaseCommand):
    help = (
        "Email an invitation to join an organization with a role (audited as the operator). "
        "--print-link also prints the link, a secret: anyone holding it can accept."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--organization", required=True, help="The organization's id or name.")
        parser.add_argument("--role", choices=Role.values, default=Role.MEMBER)
        parser.add_argument(
            "--print-link",
            action="store_true",
            help="Also print the invitation link. It is a secret (whoever holds it can join as "
            "the invited address): use it only to hand the link over yourself.",
        )

    def handle(self, *args, email, organization, role, print_link, **options):
        target = self._organization(organization)
        links: list[str] = []
        try:
            invitation = services.invitation_create(
                organization=target,
                actor=services.OPERATOR,
                acting_key=None,
                email=email,
                role=role,
                context=CONTEXT,
                on_link=links.append if print_link else None,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            SENT.format(email=invitation.email, organization=target.name, role=invitation.role)
        )
        if print_link:
            self.stdout.write(links[0])

    def _organization(self, value: str) -> Organization:
        pk = parse_uuid(value)
        found = list(Organization.objects.filter(Q(pk=pk) if pk else Q(name=value))[:2])
        if not found:
            raise CommandError(ORGANIZATION_NOT_FOUND.format(value=value))
        if len(found) > 1:
            raise CommandError(ORGANIZATION_AMBIGUOUS.format(value=value))
        return found[0]
